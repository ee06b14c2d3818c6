"""Durations, sizes and ratios parse the contract's notations and print back as written."""

from __future__ import annotations

import pytest

from opsverify.spec.units import format_bytes, format_percent, format_seconds, parse_duration, parse_ratio, parse_size


@pytest.mark.parametrize("text, seconds", [("250ms", 0.25), ("2s", 2), ("5m", 300), ("26h", 93600),
                                           ("7d", 604800), ("13w", 13 * 604800), ("1.5h", 5400), (30, 30)])
def test_durations(text: object, seconds: float) -> None:
    """Every unit of the contract, and a plain number of seconds."""
    value = parse_duration(text)
    assert value == pytest.approx(seconds)
    assert str(value) == (text if isinstance(text, str) else f"{text}s")


@pytest.mark.parametrize("text, size", [("10MB", 10**7), ("1.5GiB", int(1.5 * 2**30)), ("512KiB", 512 * 1024),
                                        ("2kb", 2000), (4096, 4096)])
def test_sizes(text: object, size: int) -> None:
    """SI and IEC sizes, case-insensitive, and a plain number of bytes."""
    assert parse_size(text) == size


@pytest.mark.parametrize("text, ratio", [("85%", 0.85), ("0.85", 0.85), (0.1, 0.1), ("0.1%", 0.001), ("100%", 1)])
def test_ratios(text: object, ratio: float) -> None:
    """Percentages and fractions."""
    assert parse_ratio(text) == pytest.approx(ratio)


@pytest.mark.parametrize("parse, text, words", [
    (parse_duration, "26hours", "not a duration"),
    (parse_duration, "fast", "250ms"),
    (parse_size, "ten MB", "not a size"),
    (parse_ratio, "85", "between 0 and 1"),
    (parse_ratio, "-5%", "negative"),
    (parse_ratio, "lots", "not a ratio"),
    (parse_duration, -5, "negative"),
    (parse_size, -1, "negative"),
])
def test_bad_values_say_how_to_write_them(parse: object, text: object, words: str) -> None:
    """A bad unit is a ValueError whose text names the value and says what is wrong."""
    with pytest.raises(ValueError, match=words) as info:
        parse(text)  # type: ignore[operator]
    assert repr(text) in str(info.value)


def test_formatting() -> None:
    """Measured values print readably."""
    assert (format_seconds(0.85), format_seconds(3.2), format_seconds(49 * 3600)) == ("850ms", "3.2s", "49h")
    assert format_bytes(3.4 * 2**20) == "3.4MiB"
    assert (format_percent(0.85), format_percent(0.001)) == ("85%", "0.1%")

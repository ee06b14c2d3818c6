"""The environment file itself: only a regular file of at most 64 MiB is read, and its SHA-256 is kept."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from opsverify.spec import SpecError, load, loads
from opsverify.spec.loader import MAX_BYTES

GOOD = b"environment: staging\nendpoints:\n  - {name: api, url: 'https://127.0.0.1:9/health'}\n"


def refused(path: Path | str) -> str:
    """The one problem load() finds with the file at `path`, within a bound that no wait could meet."""
    start = time.monotonic()
    with pytest.raises(SpecError) as info:
        load(path, environ={})
    assert time.monotonic() - start < 5, "load() waited on the file"
    (problem,) = info.value.problems
    assert problem.file == str(path) and problem.line is None
    return problem.message


def test_a_fifo_without_a_writer_is_refused_at_once(tmp_path: Path) -> None:
    """`mkfifo env.yml` used to hang in read_text() forever."""
    fifo = tmp_path / "env.yml"
    os.mkfifo(fifo)
    assert refused(fifo) == "is a named pipe (FIFO); only a regular file is read"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_without_reading(device: str) -> None:
    """`--env=/dev/zero` used to read until MemoryError."""
    assert refused(device) == "is a character device; only a regular file is read"


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path) == "is a folder; only a regular file is read"


def test_a_file_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A sparse file of 128 MiB: refused by its size, nothing parsed."""
    big = tmp_path / "env.yml"
    with big.open("wb") as file:
        file.truncate(2 * MAX_BYTES)
    assert refused(big) == "is 128.0MiB; an environment file may be at most 64.0MiB"


def test_a_valid_10_mb_file_is_accepted(tmp_path: Path) -> None:
    """The review's case 8: one 10 MB description is a valid file, far under the cap."""
    path = tmp_path / "env.yml"
    path.write_bytes(b"environment: big\ndescription: " + b"x" * 10_000_000 + b"\n")
    env = load(path, environ={})
    assert len(env.description) == 10_000_000


def test_the_sha256_is_of_the_bytes_that_were_parsed(tmp_path: Path) -> None:
    """`source_sha256` stays what was read even when the file changes or goes away afterwards."""
    path = tmp_path / "env.yml"
    data = b"\xef\xbb\xbf" + GOOD.replace(b"\n", b"\r\n")  # a BOM and CRLF line ends are hashed as they are
    path.write_bytes(data)
    env = load(path, environ={})
    path.write_bytes(GOOD + b"# edited during the run\n")
    path.unlink()
    assert env.source_sha256 == hashlib.sha256(data).hexdigest()
    assert env.endpoints[0].name == "api"


def test_loads_hashes_the_utf8_text() -> None:
    text = GOOD.decode() + "description: café\n"
    assert loads(text, environ={}).source_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()

"""Logs on hosts: matching lines in a time window (too many errors, too few successes), repeats, shares, volume."""

from opsverify.checks import host
from opsverify.plugin import check, expect


def logs_with(*keys):
    """Every host's logs that set one of these limits."""
    return lambda env: [entry for entry in host.nested(env, "logs")
                        if any(getattr(entry.item, key) is not None for key in keys)]


@check("logs.matches", over=logs_with("max", "warn_max", "min", "warn_min"), area="host")
def test_log_matches(result):
    expect(result)


@check("logs.repeats", over=logs_with("max_repeats", "warn_max_repeats"), area="host")
def test_log_repeats(result):
    expect(result)


@check("logs.shares.ratio", over=logs_with("max_ratio", "warn_max_ratio"), area="host")
def test_log_ratio(result):
    expect(result)


@check("logs.shares.client_share", over=logs_with("max_client_share", "warn_max_client_share"), area="host")
def test_log_client_share(result):
    expect(result)


@check("logs.volume.change", over=logs_with("volume"), area="host")
def test_log_volume(result):
    expect(result)

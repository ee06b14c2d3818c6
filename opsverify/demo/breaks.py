"""The switches that break the demo in exactly one way each."""

from __future__ import annotations

from collections.abc import Iterable

BREAKS: dict[str, str] = {
    "health-503": "/api/health answers 503 Service Unavailable",
    "degraded": "/api/health answers 200 but reports its database as down",
    "slow": "every page and /api/health takes 1.5 s longer",
    "hang": "/api/health accepts the connection and never answers",
    "expired-cert": "the HTTPS certificate (from the demo CA) expired 70 days ago",
    "wrong-host-cert": "the HTTPS certificate (from the demo CA) names another host only",
    "missing-table": "the orders table is missing from app.db",
    "stale-backup": "the backup job stopped two days ago: the newest backup is 49 h old",
    "truncated-backup": "the newest backup is truncated (its checksum sidecar matches the truncated file)",
    "checksum-mismatch": "the newest backup's .sha256 sidecar does not match the file",
    "retention-gap": "the monthly backup of three months ago is missing",
    "error-spike": "app.log has 40 ERROR lines in the last hour",
}


def validate(names: Iterable[str]) -> frozenset[str]:
    """The break names as a set; ValueError naming the valid ones for an unknown name."""
    chosen = frozenset([names] if isinstance(names, str) else names)
    unknown = sorted(chosen - BREAKS.keys())
    if unknown:
        raise ValueError(f"unknown demo break {', '.join(map(repr, unknown))}; "
                         f"valid breaks: {', '.join(BREAKS)}")
    return chosen

"""The switches that break the demo in exactly one way each."""

from __future__ import annotations

from collections.abc import Iterable

BREAKS: dict[str, str] = {
    "health-503": "/api/health answers 503 Service Unavailable",
    "degraded": "/api/health answers 200 but reports its database as down",
    "slow": "every page and /api/health takes 1.5 s longer, 8 at a time (under load the rest queue)",
    "hang": "/api/health accepts the connection and never answers",
    "expired-cert": "the HTTPS certificate (from the demo CA) expired 70 days ago",
    "wrong-host-cert": "the HTTPS certificate (from the demo CA) names another host only",
    "missing-table": "the orders table is missing from app.db",
    "stale-backup": "the backup job stopped two days ago: the newest backup is 49 h old",
    "truncated-backup": "the newest backup is truncated (its checksum sidecar matches the truncated file)",
    "checksum-mismatch": "the newest backup's .sha256 sidecar does not match the file",
    "retention-gap": "the monthly backup of three months ago is missing",
    "empty-restore": "the newest backup restores with an empty products table (its dump has no rows for it)",
    "error-spike": "app.log has 40 ERROR lines in the last hour",
    "missing-headers": "pages are served without Strict-Transport-Security and Content-Security-Policy",
    "insecure-cookie": "the demo_session cookie is set without Secure, HttpOnly and SameSite",
    "exposed-env": "/.env serves the app's settings (APP_KEY=..., fake values)",
    "debug-page": "a missing page shows a Werkzeug debugger traceback instead of a plain 404",
    "open-port": "an extra TCP port listens on 127.0.0.1, outside the allowed ports",
    "vulnerable-dependency": "requirements.txt pins Werkzeug 3.0.1 (GHSA-2g68-c3qc-8985, high)",
    "app-debug": "app/.env sets APP_DEBUG=true: the app's debug mode is left on",
    "unapproved-admin": "a customer account (users.id 3) has the admin role, which the access review did not approve",
    "stale-document": "docs/runbook.md was last reviewed 200 days ago (limit 90d)",
    "logs-purged": "logs/archive/ keeps only the last 30 days of rotated logs (at least 90 must be kept)",
}


def validate(names: Iterable[str]) -> frozenset[str]:
    """The break names as a set; ValueError naming the valid ones for an unknown name."""
    chosen = frozenset([names] if isinstance(names, str) else names)
    unknown = sorted(chosen - BREAKS.keys())
    if unknown:
        raise ValueError(f"unknown demo break {', '.join(map(repr, unknown))}; "
                         f"valid breaks: {', '.join(BREAKS)}")
    return chosen

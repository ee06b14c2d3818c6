"""The cadence and area markers, registered by the plugin so any checklist folder can use them."""

from __future__ import annotations

import pytest

CADENCES = {
    "daily": "runs every day",
    "weekly": "runs every week",
    "monthly": "runs every month",
    "quarterly": "runs every quarter (the Locust benchmarks)",
}
OTHERS = {
    "smoke": "the post-deploy gate: items tagged smoke or of severity P1",
    "health": "endpoints, TLS, databases, caches and mail relays answer",
    "backup": "backups are fresh, whole, kept and restorable",
    "security": "web and host security posture",
    "compliance": "controls, access reviews, documents, log retention",
    "performance": "latency SLAs and load benchmarks",
    "database": "database maintenance and capacity",
    "host": "machines, services, disks, logs",
    "maintenance": "needs the maintenance window (restore drills, load tests): the scheduler runs it inside the window",
}


def register(config: pytest.Config) -> None:
    """Declare every opsverify marker that the ini file does not already declare."""
    declared = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    for name, description in {**CADENCES, **OTHERS}.items():
        if name not in declared:
            config.addinivalue_line("markers", f"{name}: {description}")

"""One line about an environment, for `opsverify check-env`."""

from __future__ import annotations

from opsverify.spec.models.environment import Environment

LISTS = ("endpoints", "tls", "databases", "caches", "smtp", "backups", "hosts", "metrics", "notify", "waivers")
SECTIONS = ("security", "compliance", "loadtests", "schedule")


def summary(env: Environment) -> str:
    """`production (production: true): 3 endpoints, 2 tls, ...; with security, schedule`."""
    counts = [f"{len(getattr(env, key))} {key}" for key in LISTS if getattr(env, key)]
    sections = [key for key in SECTIONS if getattr(env, key) is not None]
    flag = " (production: true)" if env.production else ""
    text = f"{env.environment}{flag}: " + (", ".join(counts) or "no items")
    return text + (f"; with {', '.join(sections)}" if sections else "")

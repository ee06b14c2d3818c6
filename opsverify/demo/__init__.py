"""The built-in demo: a real shop on loopback (HTTP(S), SQLite, backups, logs) that breaks on request."""

from __future__ import annotations

from opsverify.demo.breaks import BREAKS
from opsverify.demo.runner import Demo, serve, start

__all__ = ["BREAKS", "Demo", "serve", "start"]

"""The demo shop's settings file, app/.env, kept the way a Laravel app keeps it (fake secrets only).

Break: `app-debug` (APP_DEBUG=true in it, debug mode left on).
"""

from __future__ import annotations

from pathlib import Path

from opsverify.demo.insecure import DOTENV


def write(folder: Path, breaks: frozenset[str]) -> None:
    """folder/app/.env with APP_DEBUG=false (true under `app-debug`), readable by its owner and group only."""
    debug = "true" if "app-debug" in breaks else "false"
    path = folder / "app" / ".env"
    path.parent.mkdir(exist_ok=True)
    path.write_text(DOTENV.decode().replace("APP_DEBUG=true", f"APP_DEBUG={debug}"), encoding="utf-8")
    path.chmod(0o640)

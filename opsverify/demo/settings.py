"""The demo shop's settings file, app/.env, kept the way a Laravel app keeps it (fake secrets only), and the
record of a production `composer install --no-dev` (vendor/composer/installed.json).

Break: `app-debug` (APP_DEBUG=true in it, debug mode left on).
"""

from __future__ import annotations

import json
from pathlib import Path

from opsverify.demo.insecure import DOTENV


def write(folder: Path, breaks: frozenset[str]) -> None:
    """folder/app/.env with APP_DEBUG=false (true under `app-debug`), readable by its owner and group only;
    Composer's record of a --no-dev install."""
    debug = "true" if "app-debug" in breaks else "false"
    path = folder / "app" / ".env"
    path.parent.mkdir(exist_ok=True)
    path.write_text(DOTENV.decode().replace("APP_DEBUG=true", f"APP_DEBUG={debug}"), encoding="utf-8")
    path.chmod(0o640)
    installed = folder / "app" / "vendor" / "composer" / "installed.json"
    installed.parent.mkdir(parents=True, exist_ok=True)
    packages = [{"name": "laravel/framework", "version": "v11.9.2"}, {"name": "guzzlehttp/guzzle", "version": "7.9.2"}]
    installed.write_text(json.dumps({"packages": packages, "dev": False, "dev-package-names": ["fakerphp/faker"]}))

"""A deployment carried through: a no-dev install; for Laravel, every migration run and the caches rebuilt.

Composer's vendor/composer/installed.json (Laravel) and npm's node_modules/.package-lock.json (Node,
Next.js) say whether dev packages were installed. Migration files
are listed on the app's host and compared with the `migrations` table of its database (read only).
The caches are compared by modification time with what they are built from, all times taken on the host.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from opsverify.checks import CheckError, plural, probe
from opsverify.checks.apps import database_of, host_of, read, under
from opsverify.checks.apps.config import CONFIG_CACHE, ENV_FILE
from opsverify.checks.database import connection
from opsverify.checks.db import rows
from opsverify.checks.host import run
from opsverify.context import RunContext
from opsverify.result import Result, error, failed, passed, skipped
from opsverify.spec.models.apps import App
from opsverify.spec.models.hosts import Host
from opsverify.spec.units import format_seconds

MIGRATIONS = "database/migrations"
INSTALLED = "vendor/composer/installed.json"
SHOWN = 5  # pending migrations, dev packages named in a reason
# cache file -> (what it is built from: files, or folders whose .php files count; the command that rebuilds it)
CACHES: dict[str, tuple[tuple[str, ...], str]] = {
    CONFIG_CACHE: ((ENV_FILE, "config"), "php artisan config:cache"),
    "bootstrap/cache/routes-v7.php": (("routes",), "php artisan route:cache"),  # Laravel 7 and later
    "bootstrap/cache/routes.php": (("routes",), "php artisan route:cache"),  # Laravel 6 and earlier
}


@probe
def dev_packages(app: App, *, context: RunContext | None = None) -> Result:
    """The app was installed without its dev packages: Composer's --no-dev, npm's --omit=dev."""
    if app.framework not in INSTALLS:
        return skipped(f"the package install is read for laravel, node and nextjs apps; {app.name} is {app.framework}")
    file, parse, command = INSTALLS[app.framework]
    host = host_of(app, context)
    path = under(app, file)
    text = read(host, path)
    if text is None:
        return error(f"there is no {path} on {host.name}: {command.split()[0]} has not installed this folder's "
                     "packages" + (" (npm 7 and later write it; yarn and pnpm installs are not read)"
                                   if command.startswith("npm") else "") + ", so the install cannot be judged")
    try:
        installed = json.loads(text)
    except ValueError as exc:
        raise CheckError(f"{path} is not valid JSON: {exc}") from None
    found = parse(path, installed)
    if isinstance(found, Result):
        return found
    names, dev = found
    evidence = {"file": path, "dev_packages": dev[:100]}
    if dev:
        more = f", and {len(dev) - SHOWN} more" if len(dev) > SHOWN else ""
        return failed(f"{path} shows an install with dev packages ({plural(len(dev), 'dev package')}: "
                      f"{', '.join(dev[:SHOWN])}{more}); deploy with {command}", value=len(dev), evidence=evidence)
    return passed(f"{path} shows an install without dev packages ({plural(len(names), 'package')})", value=0,
                  evidence=evidence)


def _composer(path: str, installed: Any) -> tuple[set[str], list[str]] | Result:
    """Composer 2's installed.json: every package, and the dev ones among them."""
    if not isinstance(installed, dict) or "dev" not in installed:
        return error(f"{path} does not say whether dev packages were installed (Composer 1 does not record it)")
    names = {p.get("name") for p in installed.get("packages", ()) if isinstance(p, dict)}
    return names, sorted(n for n in installed.get("dev-package-names") or () if n in names)


def _npm(path: str, installed: Any) -> tuple[set[str], list[str]]:
    """npm's hidden lockfile: what node_modules holds (name@version), each dev-only one marked dev."""
    packages = installed.get("packages") if isinstance(installed, dict) else None
    if not isinstance(packages, dict):
        raise CheckError(f"{path} has no packages object, as npm 7 and later write it")
    entries = [(f"{key.rpartition('node_modules/')[2]}@{entry.get('version', '?')}", entry)
               for key, entry in packages.items() if key.startswith("node_modules/") and isinstance(entry, dict)]
    return {name for name, _ in entries}, sorted({name for name, entry in entries if entry.get("dev") is True})


# framework -> (the install's own record below the root, how it is read, the command that installs without dev)
INSTALLS = {
    "laravel": (INSTALLED, _composer, "composer install --no-dev"),
    "node": ("node_modules/.package-lock.json", _npm, "npm ci --omit=dev"),
    "nextjs": ("node_modules/.package-lock.json", _npm, "npm ci --omit=dev"),
}


@probe
def migrations(app: App, *, context: RunContext | None = None) -> Result:
    """Every file in database/migrations has a row in the app database's `migrations` table."""
    if app.framework != "laravel":
        return skipped(f"migrations are compared for laravel apps; {app.name} is {app.framework}")
    host = host_of(app, context)
    folder = under(app, MIGRATIONS)
    out = run(host, "find -L %s -maxdepth 1 -type f -name '*_*.php'", folder)  # Laravel's glob: *_*.php
    if out.rc != 0:
        said = (out.stderr or "").strip().splitlines()
        raise CheckError(f"cannot list {folder} on {host.name}: "
                         f"{said[-1].rsplit(': ', 1)[-1] if said else f'exit {out.rc}'}")
    files = sorted(posixpath.basename(p)[:-len(".php")] for p in out.stdout.splitlines() if p)
    with connection(database_of(app, context)) as conn:
        ran = {str(name) for (name,) in rows(conn, "SELECT migration FROM migrations")}
    pending = [name for name in files if name not in ran]
    evidence = {"folder": folder, "files": len(files), "ran": len(ran), "pending": pending[:100]}
    if pending:
        more = f", and {len(pending) - SHOWN} more" if len(pending) > SHOWN else ""
        return failed(f"{plural(len(pending), 'migration')} not run on {app.name}: {', '.join(pending[:SHOWN])}{more}",
                      value=len(pending), limit="0", evidence=evidence)
    return passed(f"all {plural(len(files), 'migration')} in {folder} have run on {app.name}", value=0, limit="0",
                  evidence=evidence)


@probe
def caches(app: App, *, context: RunContext | None = None) -> Result:
    """Each cache in bootstrap/cache that exists is newer than every file it is built from."""
    if app.framework != "laravel":
        return skipped(f"caches are compared for laravel apps; {app.name} is {app.framework}")
    host = host_of(app, context)
    sources = {s for built_from, _ in CACHES.values() for s in built_from}
    times = _mtimes(host, [under(app, p) for p in (*CACHES, *sorted(sources))])
    stale, fresh = [], []
    for cache, (built_from, command) in CACHES.items():
        built = times.get(under(app, cache))
        if built is None:
            continue
        newer = sorted(((t, p) for p, t in times.items() if t > built and _within(p, app, built_from)), reverse=True)
        if not newer:
            fresh.append(under(app, cache))
            continue
        (newest, path), more = newer[0], len(newer) - 1
        also = f" (and {plural(more, 'more changed file')})" if more else ""
        stale.append(f"{under(app, cache)} is {format_seconds(newest - built)} older than {path}{also}: "
                     f"run {command}")
    evidence: dict[str, Any] = {"fresh": fresh, "stale": len(stale)}
    if stale:
        return failed(" | ".join(stale), value=len(stale), evidence=evidence)
    if not fresh:
        return passed(f"no config or route cache in {under(app, 'bootstrap/cache')}: Laravel reads .env, config/ "
                      "and routes/ as they are", evidence=evidence)
    return passed(f"{' and '.join(fresh)} newer than the files they are built from", evidence=evidence)


def _within(path: str, app: App, built_from: tuple[str, ...]) -> bool:
    """Whether a listed path is one of the sources: the file itself, or a .php file below a source folder."""
    for source in (under(app, s) for s in built_from):
        if path == source or (path.startswith(source + "/") and path.endswith(".php")):
            return True
    return False


def _mtimes(host: Host, paths: list[str]) -> dict[str, float]:
    """Modification time (seconds, on the host's clock) of every file at or below these paths; missing ones left out."""
    out = run(host, "find -L " + " ".join(["%s"] * len(paths)) + " -type f -printf '%%T@ %%p\\n'", *paths)
    problems = [line for line in (out.stderr or "").splitlines()
                if line.strip() and not line.endswith("No such file or directory")]
    if out.rc != 0 and problems:
        raise CheckError(f"cannot list files on {host.name}: {problems[-1]}")
    found = {}
    for line in out.stdout.splitlines():
        stamp, _, path = line.partition(" ")
        found[path] = float(stamp)
    return found

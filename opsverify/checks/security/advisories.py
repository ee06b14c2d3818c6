"""Where advisories come from: a folder or zip of OSV JSON (an offline mirror), or an OSV API (querybatch)."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from opsverify.checks import CheckError, cause
from opsverify.checks.security.lockfiles import Package, normalize
from opsverify.checks.security.osv import Advisory

OSV_API = "https://api.osv.dev"
BATCH = 1000  # queries per querybatch request


@dataclass
class Lookup:
    """Per package: the advisories affecting it; and the packages that could not be checked, with why."""

    found: dict[Package, list[Advisory]] = field(default_factory=dict)
    unchecked: dict[Package, str] = field(default_factory=dict)
    label: str = ""
    newest: dt.datetime | None = None  # the newest record's `modified` (offline mirrors: how fresh they are)


@dataclass(frozen=True)
class Mirror:
    """An offline mirror loaded into memory: advisories by (ecosystem, normalized name)."""

    index: dict[tuple[str, str], list[Advisory]]
    ecosystems: frozenset[str]
    records: int
    newest: dt.datetime | None


_lock = threading.Lock()
_loaded: dict[tuple[Any, ...], Mirror] = {}


def lookup(where: str | None, packages: list[Package], timeout: float) -> Lookup:
    """Look every package up in `where` (a folder, a .zip, or an OSV API URL; None: api.osv.dev)."""
    where = where or OSV_API
    if where.startswith(("http://", "https://")):
        return _api(where.rstrip("/"), packages, timeout)
    return _offline(Path(where).expanduser(), packages)


def _offline(path: Path, packages: list[Package]) -> Lookup:
    """Match against a local mirror; packages of an ecosystem the mirror holds nothing for are unchecked."""
    mirror = load(path)
    result = Lookup(label=f"{mirror.records} OSV records in {path}", newest=mirror.newest)
    for package in packages:
        if package.ecosystem not in mirror.ecosystems:
            result.unchecked[package] = f"the advisory mirror holds no {package.ecosystem} advisories"
            continue
        candidates = mirror.index.get((package.ecosystem, normalize(package.ecosystem, package.name)), [])
        result.found[package] = [a for a in candidates if a.affects(package)]
    return result


def load(path: Path) -> Mirror:
    """The mirror at path (a folder searched recursively for *.json, or a .zip), loaded once per change."""
    if path.is_dir():
        files = sorted(_json_files(path))
        key: tuple[Any, ...] = (str(path), tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    elif path.is_file() and zipfile.is_zipfile(path):
        key = (str(path), path.stat().st_mtime_ns, path.stat().st_size)
    else:
        raise CheckError(f"advisories {path} is neither a folder nor a .zip of OSV JSON files")
    with _lock:
        if key not in _loaded:
            _loaded.clear()  # keep only the latest mirror in memory
            _loaded[key] = _build(path, list(_records(path)))
        return _loaded[key]


def _json_files(folder: Path) -> Iterator[Path]:
    """Every .json file below folder."""
    for root, _, names in os.walk(folder):
        yield from (Path(root) / name for name in names if name.endswith(".json"))


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """The OSV records of a folder or zip; a file that is not an OSV record is skipped."""
    if path.is_dir():
        blobs: Iterator[bytes] = (f.read_bytes() for f in _json_files(path))
    else:
        archive = zipfile.ZipFile(path)
        blobs = (archive.read(name) for name in archive.namelist() if name.endswith(".json"))
    for blob in blobs:
        try:
            record = json.loads(blob)
        except ValueError:
            continue
        if isinstance(record, dict) and "id" in record and "affected" in record:
            yield record


def _build(path: Path, records: list[dict[str, Any]]) -> Mirror:
    """Index records by the packages they name."""
    if not records:
        raise CheckError(f"advisories {path} holds no OSV records")
    index: dict[tuple[str, str], list[Advisory]] = defaultdict(list)
    newest: dt.datetime | None = None
    for record in records:
        advisory = Advisory.of(record)
        for pair in dict.fromkeys(advisory.packages()):
            index[pair].append(advisory)
        stamp = _time(advisory.modified)
        if stamp and (newest is None or stamp > newest):
            newest = stamp
    return Mirror(dict(index), frozenset(e for e, _ in index), len(records), newest)


def _time(text: str) -> dt.datetime | None:
    """An OSV timestamp (RFC 3339, `Z`) as an aware datetime."""
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def _api(url: str, packages: list[Package], timeout: float) -> Lookup:
    """POST /v1/querybatch, then GET /v1/vulns/ID for each hit; unreachable means nothing was checked."""
    result = Lookup(label=f"the OSV API at {url}")
    try:
        with requests.Session() as session:
            hits: list[list[str]] = []
            for start in range(0, len(packages), BATCH):
                chunk = packages[start:start + BATCH]
                queries = [{"package": {"ecosystem": p.ecosystem, "name": p.name}, "version": p.version}
                           for p in chunk]
                response = session.post(f"{url}/v1/querybatch", json={"queries": queries}, timeout=timeout)
                response.raise_for_status()
                hits += [[v["id"] for v in r.get("vulns") or ()] for r in response.json()["results"]]
            details: dict[str, Advisory] = {}
            for vuln in dict.fromkeys(v for ids in hits for v in ids):
                answer = session.get(f"{url}/v1/vulns/{vuln}", timeout=timeout)
                answer.raise_for_status()
                details[vuln] = Advisory.of(answer.json())
    except (requests.RequestException, ValueError, KeyError) as exc:
        reason = cause(exc, url, timeout)
        raise CheckError(f"could not reach the advisory source {url} ({reason}); no package was checked - "
                         "point `advisories:` at an offline OSV mirror (a folder or .zip)") from exc
    for package, ids in zip(packages, hits):
        result.found[package] = [details[v] for v in ids]
    return result

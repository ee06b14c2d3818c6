"""OSV records for the tests, in the schema osv.dev serves, and mirrors made of them."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any


def record(vuln: str, ecosystem: str, name: str, *, fixed: str | None = None, last_affected: str | None = None,
           severity: str | None = "HIGH", modified: dt.datetime | None = None) -> dict[str, Any]:
    """One advisory: versions from 0 up to `fixed` (or through `last_affected`) are affected."""
    events: list[dict[str, str]] = [{"introduced": "0"}]
    events += [{"fixed": fixed}] if fixed else [{"last_affected": last_affected}] if last_affected else []
    stamp = (modified or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data: dict[str, Any] = {
        "schema_version": "1.6.0", "id": vuln, "modified": stamp, "summary": f"{name} advisory {vuln}",
        "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                      "ranges": [{"type": "ECOSYSTEM" if ecosystem != "npm" else "SEMVER", "events": events}]}]}
    if severity:
        data["database_specific"] = {"severity": severity}
    return data


# Real advisories (GitHub Advisory Database) the tests use, trimmed to what the audit reads.
LODASH = record("GHSA-35jh-r3h4-6jhm", "npm", "lodash", fixed="4.17.21", severity="HIGH")
WERKZEUG = record("GHSA-2g68-c3qc-8985", "PyPI", "werkzeug", fixed="3.0.3", severity="HIGH")
REQUESTS = record("GHSA-9wx4-h78v-vm56", "PyPI", "requests", fixed="2.32.0", severity="MODERATE")


def mirror(folder: Path, *records: dict[str, Any], as_zip: bool = False) -> Path:
    """A folder of OSV JSON files (ECOSYSTEM/ID.json, like osv.dev's exports), or the same as one .zip."""
    folder.mkdir(parents=True, exist_ok=True)
    if as_zip:
        path = folder / "all.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for data in records:
                archive.writestr(f"{data['id']}.json", json.dumps(data))
        return path
    for data in records:
        ecosystem = data["affected"][0]["package"]["ecosystem"]
        (folder / ecosystem).mkdir(exist_ok=True)
        (folder / ecosystem / f"{data['id']}.json").write_text(json.dumps(data))
    return folder

"""The demo's dependency audit: a pinned requirements.txt and a small offline OSV mirror beside it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

HEALTHY = {"Flask": "3.1.1", "Werkzeug": "3.1.3", "Jinja2": "3.1.6", "requests": "2.32.4", "gunicorn": "23.0.0"}
VULNERABLE = {"Werkzeug": "3.0.1"}  # the `vulnerable-dependency` break: the debugger RCE below (high)
# Three real PyPI advisories in OSV format (GitHub Advisory Database records, trimmed).
ADVISORIES = (
    ("GHSA-2g68-c3qc-8985", "CVE-2024-34069", "Werkzeug debugger vulnerable to remote execution when interacting "
     "with attacker controlled domain", "werkzeug", "3.0.3", "HIGH", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H"),
    ("GHSA-9wx4-h78v-vm56", "CVE-2024-35195", "Requests `Session` object does not verify requests after making "
     "first request with verify=False", "requests", "2.32.0", "MODERATE", "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N"),
    ("GHSA-h5c8-rqwp-cp95", "CVE-2024-22195", "Jinja vulnerable to HTML attribute injection when passing user input "
     "as keys to xmlattr filter", "jinja2", "3.1.3", "MODERATE", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"),
)


def write(folder: Path, now: dt.datetime, breaks: frozenset[str]) -> None:
    """folder/app/requirements.txt (vulnerable with the break) and folder/advisories/PyPI/*.json."""
    pins = {**HEALTHY, **(VULNERABLE if "vulnerable-dependency" in breaks else {})}
    (folder / "app").mkdir(exist_ok=True)
    (folder / "app" / "requirements.txt").write_text(
        "# the demo shop's pinned dependencies (audited weekly against ../advisories)\n"
        + "".join(f"{name}=={version}\n" for name, version in pins.items()), encoding="utf-8")
    mirror = folder / "advisories" / "PyPI"
    mirror.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    for ghsa, cve, summary, package, fixed, severity, vector in ADVISORIES:
        record = {"schema_version": "1.6.0", "id": ghsa, "aliases": [cve], "summary": summary,
                  "modified": stamp, "published": "2024-05-06T15:30:00Z",
                  "affected": [{"package": {"ecosystem": "PyPI", "name": package},
                                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
                  "severity": [{"type": "CVSS_V3", "score": vector}],
                  "database_specific": {"severity": severity, "github_reviewed": True},
                  "references": [{"type": "ADVISORY", "url": f"https://github.com/advisories/{ghsa}"}]}
        (mirror / f"{ghsa}.json").write_text(json.dumps(record, indent=1), encoding="utf-8")

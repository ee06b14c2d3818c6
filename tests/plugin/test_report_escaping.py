"""Whatever the environment file, the checks or an archived record say, report.html and index.html show it as
text: checked in headless Chromium, where a payload that ran would change the page title or leave an element."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

from opsverify.archive.runs import new_run_folder
from tests.plugin.conftest import ROOT, run_checklist
from tests.support.browser import dom
from tests.support.http_server import HttpServer, Reply


def payload(where: str) -> str:
    """An element that, were it live, would rename the page as soon as its image fails to load."""
    return f"<img src=x onerror=\"document.title='XSS-{where}'\">"


class _Handlers(HTMLParser):
    """The elements of a page that carry an event-handler attribute (`onerror=`, `onload=`, ...)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [f"<{tag} {name}={value!r}>" for name, value in attrs if name.startswith("on")]


def inert(page: str, title: str, *where: str) -> None:
    """The page kept its title, holds no element from a payload, and shows each payload as text."""
    shown_title = re.search(r"<title[^>]*>(.*?)</title>", page, re.S)
    assert shown_title and shown_title.group(1).strip() == title, shown_title and shown_title.group(1)
    live = [element for element in _Handlers(page).found if "XSS" in element]
    assert live == [], live
    for name in where:
        assert f"&lt;img src=x onerror=\"document.title='XSS-{name}'\"&gt;" in page, name


def test_payloads_in_the_environment_file_and_test_ids_are_text_in_the_report(tmp_path, reports):
    """The review's group 6 #17: `description: "<img src=x onerror=…>"` ran in every auditor's browser."""
    env = tmp_path / "shop.yml"
    with HttpServer(fallback=Reply(404, "not found")) as site:
        env.write_text(f"""environment: shop
description: {json.dumps(payload("description"))}
security:
  base_urls: [{site.base_url}]
  exposed_paths: [{json.dumps("/" + payload("path"))}]
waivers:
  - check: {json.dumps(payload("waiver"))}
    reason: {json.dumps(payload("reason"))}
    approved_by: {json.dumps(payload("approver"))}
    expires: 2099-12-31
""")
        run = run_checklist(reports, "-m", "daily", "-k", "exposed_path", f"--env={env}")
        item = f"{site.base_url.removeprefix('http://')}/{payload('path')}"
    assert run.code == 0, run.out
    check = run.check("test_exposed_path", item)
    assert check["outcome"] == "passed"
    inert(dom(run.run_dir / "report.html"), "opsverify · shop · daily",
          "description", "path", "waiver", "reason", "approver")


def _record(reports, started: dt.datetime, value: float) -> None:
    """An archived results.json whose strings are payloads (an old version, or a hand-edited record)."""
    folder = new_run_folder(reports, "shop", "daily", started)
    (folder / "results.json").write_text(json.dumps({
        "environment": payload("environment"), "label": payload("label"), "exit_status": 0,
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "counts": {"passed": 1},
        "checks": [{"nodeid": f"verify/test_x.py::test_x[{payload('nodeid')}]", "value": value,
                    "unit": payload("unit"), "outcome": "passed"}]}))


def test_payloads_in_archived_records_are_text_in_the_index(tmp_path):
    reports = tmp_path / "reports"
    _record(reports, dt.datetime(2026, 11, 2, 7, tzinfo=dt.timezone.utc), 1.5)
    _record(reports, dt.datetime(2026, 11, 3, 7, tzinfo=dt.timezone.utc), 2.5)
    built = subprocess.run([sys.executable, "-m", "opsverify.cli", "archive", "index", f"--reports={reports}"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    inert(dom(reports / "index.html"), "opsverify archive", "environment", "label", "nodeid", "unit")

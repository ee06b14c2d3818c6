"""What the pytest-html report shows: title, environment table, demo banner, result columns, evidence."""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

import pytest

from opsverify import __version__
from opsverify.plugin.record import by_severity, counts
from opsverify.spec.units import format_bytes, format_percent, format_seconds
from opsverify.archive.runs import host, operator
from opsverify.plugin.session import Run, label
from opsverify.spec.secret import scrub, shorten

_HANDLER = re.compile(r"\son\w+\s*=", re.IGNORECASE)  # event-handler attributes are never embedded
_ID_CELL = ('<td class="col-testId">', "</td>")  # pytest-html 4 puts the test id in as it is, unescaped
COLUMNS = ("Item", "Severity", "Status", "Measured", "Limit", "Reason")


def metadata(run: Run, config: pytest.Config) -> dict[str, str]:
    """The report's environment table, escaped: pytest-html writes its values into the page as HTML."""
    return {key: escape(value) for key, value in {
        "Environment": run.name + (" (BUILT-IN DEMO, not a real system)" if run.demo else ""),
        "Description": run.environment.description,
        "Production": "yes" if run.environment.production else "no",
        "Marker expression": config.option.markexpr or "(none: every cadence)",
        "Environment file": str(run.env_path),
        "Environment file SHA-256": run.env_sha256,
        "Suite version": f"opsverify {__version__}",
        "Operator": operator(),
        "Host": host(),
        "Started (UTC)": run.started.isoformat(timespec="seconds"),
    }.items()}


def title(run: Run, config: pytest.Config) -> str:
    """The report's title."""
    return f"opsverify · {'BUILT-IN DEMO' if run.demo else run.name} · {label(config)}"


def summary_html(run: Run) -> list[str]:
    """Banner and outcome/severity counts shown above the results table."""
    checks = list(run.checks.values())
    parts = []
    if run.demo:
        parts.append('<p style="background:#fff3cd;border:1px solid #e0b000;padding:8px;font-weight:bold">'
                     "This run checked the BUILT-IN DEMO target started by opsverify, not a real system. "
                     "Name an environment file with --env=FILE.</p>")
    tally = ", ".join(f"{n} {o}" for o, n in counts(checks).items() if n)
    parts.append(f"<p><b>Checks:</b> {escape(tally or 'none')}</p>")
    rows = "".join(f"<tr><td>{escape(sev)}</td><td>{escape(_tally(c))}</td></tr>"
                   for sev, c in by_severity(checks).items())
    parts.append(f'<table class="opsv-severity"><tr><th>Severity</th><th>Outcomes</th></tr>{rows}</table>')
    parts += [f'<p class="opsv-note" style="color:#8a6d00"><b>Note:</b> {escape(scrub(n))}</p>' for n in run.notes]
    parts += compliance_html(run.compliance(), run.checks)
    if run.waivers is not None and run.waivers.waivers:
        parts += waivers_html(run.waivers.summary({k: c["outcome"] for k, c in run.checks.items()}))
    return parts


_CELL = "border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top"
_COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#cf222e", "waived": "#8a6d00",
            "warning": "#8a6d00", "not assessed": "#666", "active": "#1a7f37", "expired": "#cf222e",
            "unmatched": "#8a6d00"}


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]], css: str) -> str:
    """An HTML table of already escaped cells."""
    header = "".join(f"<th style='{_CELL}'>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td style='{_CELL}'>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{css}' style='border-collapse:collapse;margin:6px 0'><tr>{header}</tr>{body}</table>"


def _status(word: str) -> str:
    """An outcome word, coloured."""
    return f"<b style='color:{_COLOURS.get(word, '#333')}'>{escape(word)}</b>"


def compliance_html(compliance: dict[str, Any] | None, checks: dict[str, dict[str, Any]]) -> list[str]:
    """The compliance section: the score, then each control with its checks and their evidence."""
    if compliance is None:
        return []
    rows = []
    for control in compliance["controls"]:
        listed = []
        for nodeid in control["checks"]:
            check = checks[nodeid]
            evidence = {k: v for k, v in check["evidence"].items() if not k.endswith("_svg")}
            shown = json.dumps(evidence, default=str)
            listed.append(f"{_status(check['outcome'])} {escape(nodeid.rsplit('::', 1)[-1])}: "
                          f"{escape(scrub(check['reason'] or ''))}"
                          + (f"<br><small>evidence: {escape(shorten(shown, 400))}</small>" if evidence else ""))
        rows.append((escape(control["control"]), _status(control["status"]), "<br>".join(listed)))
    return [f"<h2 class='opsv-compliance'>Compliance</h2><p>{_status(compliance['status'])} "
            f"{escape(compliance['reason'])}</p>", _table(("Control", "Status", "Checks and evidence"), rows,
                                                          "opsv-controls")]


def waivers_html(waivers: list[dict[str, Any]]) -> list[str]:
    """The waivers: terms, state, and the tests they named with their outcomes."""
    rows = [(escape(w["check"]), _status(w["state"]), escape(w["reason"]), escape(w["approved_by"]),
             escape(w["expires"]), "<br>".join(f"{escape(t['nodeid'].rsplit('::', 1)[-1])}: {_status(t['outcome'])}"
                                              for t in w["tests"]) or "none")
            for w in waivers]
    return ["<h2 class='opsv-waivers'>Waivers</h2>",
            _table(("Check", "State", "Reason", "Approved by", "Expires", "Tests"), rows, "opsv-waivers")]


def header_cells(cells: list[str]) -> None:
    """Insert the opsverify columns after the test id."""
    for offset, name in enumerate(COLUMNS):
        cells.insert(2 + offset, f'<th class="sortable" data-column-type="{name.lower()}">{name}</th>')


def row_cells(report: pytest.TestReport, cells: list[str]) -> None:
    """Escape the test id (its item may be a path or URL with `<` in it) and fill the opsverify columns."""
    start, end = _ID_CELL
    if cells[1].startswith(start) and cells[1].endswith(end):
        cells[1] = start + escape(cells[1][len(start):-len(end)]) + end
    check = getattr(report, "opsverify", None) or {}
    values = [
        check.get("item") or "",
        check.get("severity") or "",
        check.get("outcome") or "",
        _measured(check),
        check.get("limit") or "",
        _reason(check),
    ]
    for offset, (name, value) in enumerate(zip(COLUMNS, values)):
        cells.insert(2 + offset, f'<td class="col-{name.lower()}">{escape(str(value))}</td>')


def evidence_extra(check: dict[str, Any]) -> str:
    """An HTML block with the check's reason, value, limit and evidence, for the expanded row."""
    rows = [("Outcome", check["outcome"]), ("Reason", _reason(check)), ("Measured", _measured(check)),
            ("Limit", check.get("limit") or "")]
    rows += [(f"evidence: {k}", v if isinstance(v, str) else json.dumps(v))
             for k, v in check["evidence"].items() if not k.endswith("_svg")]
    body = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{escape(str(k))}</th>"
                   f"<td><pre style='white-space:pre-wrap;margin:0'>{escape(str(v))}</pre></td></tr>"
                   for k, v in rows)
    charts = "".join(_svg(v) for k, v in check["evidence"].items() if k.endswith("_svg"))
    return f"<table class='opsv-evidence'>{body}</table>{charts}"


def _svg(markup: object) -> str:
    """A chart a check drew (evidence keys ending in `_svg`), embedded when it is a plain SVG element."""
    text = str(markup).strip()
    if not text.startswith("<svg") or "<script" in text.lower() or _HANDLER.search(text):
        return ""
    return f"<div class='opsv-chart'>{text}</div>"


_SHOW = {"s": format_seconds, "ratio": format_percent, "bytes": format_bytes}


def _reason(check: dict[str, Any]) -> str:
    """The check's reason, with the waiver that forgave it, or the expired one that no longer does."""
    reason = check.get("reason") or ""
    if check.get("waiver"):
        w = check["waiver"]
        return f"{reason} | WAIVED: {w['reason']} (approved by {w['approved_by']}, expires {w['expires']})"
    if check.get("waiver_expired"):
        w = check["waiver_expired"]
        return f"{reason} | waiver expired {w['expires']} (was approved by {w['approved_by']}: {w['reason']})"
    return reason


def _measured(check: dict[str, Any]) -> str:
    """The measured value in its unit, as a person reads it: 27ms, 85%, 1.2GiB, 88 days."""
    value, unit = check.get("value"), check.get("unit", "")
    if value is None:
        return ""
    if unit in _SHOW and isinstance(value, (int, float)):
        return _SHOW[unit](value)
    return f"{value:.4g} {unit}".strip() if isinstance(value, float) else f"{value} {unit}".strip()


def _tally(outcomes: dict[str, int]) -> str:
    return ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))


class HtmlReport:
    """pytest-html hooks, registered only when pytest-html is loaded."""

    def __init__(self, run: Run, config: pytest.Config) -> None:
        self.run, self.config = run, config

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = title(self.run, self.config)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str]) -> None:
        prefix.extend(summary_html(self.run))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        header_cells(cells)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        row_cells(report, cells)

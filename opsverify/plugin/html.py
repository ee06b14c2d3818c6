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
from opsverify.plugin.session import Run, host, label, operator

_HANDLER = re.compile(r"\son\w+\s*=", re.IGNORECASE)  # event-handler attributes are never embedded
COLUMNS = ("Item", "Severity", "Status", "Measured", "Limit", "Reason")


def metadata(run: Run, config: pytest.Config) -> dict[str, str]:
    """The report's environment table."""
    return {
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
    }


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
                     "Name an environment file with --env FILE.</p>")
    tally = ", ".join(f"{n} {o}" for o, n in counts(checks).items() if n)
    parts.append(f"<p><b>Checks:</b> {escape(tally or 'none')}</p>")
    rows = "".join(f"<tr><td>{escape(sev)}</td><td>{escape(_tally(c))}</td></tr>"
                   for sev, c in by_severity(checks).items())
    parts.append(f'<table class="opsv-severity"><tr><th>Severity</th><th>Outcomes</th></tr>{rows}</table>')
    return parts


def header_cells(cells: list[str]) -> None:
    """Insert the opsverify columns after the test id."""
    for offset, name in enumerate(COLUMNS):
        cells.insert(2 + offset, f'<th class="sortable" data-column-type="{name.lower()}">{name}</th>')


def row_cells(report: pytest.TestReport, cells: list[str]) -> None:
    """Fill the opsverify columns for one test."""
    check = getattr(report, "opsverify", None) or {}
    values = [
        check.get("item") or "",
        check.get("severity") or "",
        check.get("outcome") or "",
        _measured(check),
        check.get("limit") or "",
        check.get("reason") or "",
    ]
    for offset, (name, value) in enumerate(zip(COLUMNS, values)):
        cells.insert(2 + offset, f'<td class="col-{name.lower()}">{escape(str(value))}</td>')


def evidence_extra(check: dict[str, Any]) -> str:
    """An HTML block with the check's reason, value, limit and evidence, for the expanded row."""
    rows = [("Outcome", check["outcome"]), ("Reason", check["reason"]), ("Measured", _measured(check)),
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

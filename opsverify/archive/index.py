"""reports/index.html: every archived run by environment and cadence, with pass-rate and measured-value trends.

One static file beside the manifest (never inside a run folder, which the manifest vouches for), readable
from a file:// URL: relative links, inline CSS and SVG, and a few lines of inline script to pick a chart.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

from opsverify.archive import charts, nofollow
from opsverify.archive.history import empty, read_record
from opsverify.archive.runs import run_folders

INDEX = "index.html"
MAX_RUNS = 500  # rows per environment and cadence
MAX_TRENDS = 40  # measured-value charts per environment
_COUNTED = ("passed", "failed", "warning", "error", "skipped", "waived")


def records(reports: Path) -> list[dict[str, Any]]:
    """Every readable results record in the archive, oldest first, with its run folder as `run`."""
    folders = run_folders(reports) if reports.is_dir() else []
    found = [record for folder in folders if (record := read_record(reports, folder)) is not None]
    return sorted(found, key=lambda r: str(r.get("started", "")))


def build(reports: Path, trend: str | None = None, now: dt.datetime | None = None) -> Path:
    """Write reports/index.html (atomically, never through a link) and return its path; `trend` picks the first chart."""
    page = render(records(reports), trend, now or dt.datetime.now(dt.timezone.utc))
    with nofollow.folder(reports) as root:
        nofollow.write(root, INDEX, [page.encode()])
    return reports / INDEX


def render(runs: list[dict[str, Any]], trend: str | None, now: dt.datetime) -> str:
    """The whole page."""
    by_env: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_env[str(run.get("environment", "?"))].append(run)
    nav = " · ".join(f'<a href="#env-{escape(e)}">{escape(e)}</a>' for e in sorted(by_env))
    body = "".join(_environment(name, by_env[name], trend) for name in sorted(by_env))
    empty = "" if runs else "<p>No run has been archived yet.</p>"
    counted = f"{_plural(len(runs), 'archived run')} in {_plural(len(by_env), 'environment')}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>opsverify archive</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style></head><body>
<h1>opsverify archive</h1>
<p class="meta">{counted}; page built {now:%Y-%m-%d %H:%M} UTC.
The manifest beside this page vouches for every run folder: check it with
<code>opsverify archive verify</code>. {nav}</p>{empty}{body}
<script>{_SCRIPT}</script></body></html>
"""


def _environment(name: str, runs: list[dict[str, Any]], trend: str | None) -> str:
    """One environment: runs by cadence, pass rate per month, measured values over time."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_label[str(run.get("label", "all"))].append(run)
    tables = "".join(_runs(label, by_label[label]) for label in sorted(by_label, key=_cadence_order))
    months = _pass_rates(runs)
    rate = charts.bars(f"{name}: checks passed per month", months) if months else "<p>No checks yet.</p>"
    return (f'<section id="env-{escape(name)}"><h2>{escape(name)}</h2>'
            f"<h3>Runs by cadence</h3>{tables}"
            f'<h3>Pass rate per month</h3><div class="chart">{rate}</div>'
            f"<p class='meta'>Share of the checks that ran (not skipped) which passed or only warned.</p>"
            f"<h3>Measured values over time</h3>{_trends(name, runs, trend)}</section>")


def _cadence_order(label: str) -> tuple[int, str]:
    """daily, weekly, monthly, quarterly first, then the other labels alphabetically."""
    order = ("daily", "weekly", "monthly", "quarterly", "smoke")
    first = label.split("-")[0]
    return (order.index(first) if first in order else len(order), label)


def _runs(label: str, runs: list[dict[str, Any]]) -> str:
    """The table of one cadence's runs, newest first."""
    rows = []
    for run in list(reversed(runs))[:MAX_RUNS]:
        counts = run.get("counts") or {}
        status = "empty" if empty(run) else "passed" if run.get("exit_status") == 0 else "failed"
        cells = "".join(f"<td class='n'>{int(counts.get(o, 0) or 0)}</td>" for o in _COUNTED)
        link = f"{run['run']}/report.html"
        rows.append(f"<tr><td>{escape(str(run.get('started', '')))}</td><td class='{status}'>{status}</td>{cells}"
                    f"<td><a href=\"{escape(link)}\">report</a> · <a href=\"{escape(run['run'])}/results.json\">"
                    f"record</a></td></tr>")
    more = f"<p class='meta'>{len(runs) - MAX_RUNS} older runs are in the archive folder.</p>" \
        if len(runs) > MAX_RUNS else ""
    head = "".join(f"<th>{o}</th>" for o in _COUNTED)
    return (f"<h4>{escape(label)} <span class='meta'>({len(runs)} run{'s' if len(runs) != 1 else ''})</span></h4>"
            f"<table><tr><th>Started (UTC)</th><th>Result</th>{head}<th></th></tr>{''.join(rows)}</table>{more}")


def _pass_rates(runs: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """(YYYY-MM, share of checks that passed or warned among those not skipped), oldest month first."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for run in runs:
        counts = run.get("counts") or {}
        ran = sum(int(counts.get(o, 0) or 0) for o in _COUNTED if o != "skipped")
        if ran:
            month = totals[str(run.get("started", ""))[:7]]
            month[0] += int(counts.get("passed", 0) or 0) + int(counts.get("warning", 0) or 0)
            month[1] += ran
    return [(month, ok / ran) for month, (ok, ran) in sorted(totals.items())]


def _trends(name: str, runs: list[dict[str, Any]], trend: str | None) -> str:
    """A chooser and one line chart per check that measured a number in at least two runs."""
    series: dict[str, list[tuple[dt.datetime, float]]] = defaultdict(list)
    units: dict[str, str] = {}
    for run in runs:
        started = _when(run.get("started"))
        for check in run.get("checks") or []:
            value = check.get("value")
            if started and isinstance(value, (int, float)) and not isinstance(value, bool):
                test = str(check.get("nodeid", "")).rsplit("::", 1)[-1]
                series[test].append((started, float(value)))
                units[test] = str(check.get("unit") or "")
    shown = sorted((t for t, points in series.items() if len(points) >= 2),  # values that moved first
                   key=lambda t: (len({v for _, v in series[t]}) == 1, t))
    if trend:
        shown.sort(key=lambda t: not fnmatch.fnmatchcase(t, trend))
    shown = shown[:MAX_TRENDS]
    if not shown:
        return "<p class='meta'>A check appears here once two runs have measured it.</p>"
    options = "".join(f'<option value="{n}">{escape(t)}</option>' for n, t in enumerate(shown))
    blocks = "".join(f'<div class="chart trend" data-trend="{n}">{charts.line(t, series[t], units[t])}</div>'
                     for n, t in enumerate(shown))
    return (f'<p><label>Check: <select class="trend-pick" data-env="{escape(name)}">{options}</select></label></p>'
            f'<div class="trends">{blocks}</div>')


def _plural(n: int, noun: str) -> str:
    """'1 run', '2 runs'."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _when(text: Any) -> dt.datetime | None:
    """A record's UTC ISO time."""
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:4px 0 12px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
td.n{text-align:right}td.passed{color:#1a7f37;font-weight:bold}td.failed{color:#cf222e;font-weight:bold}
.meta{color:#666;font-size:12px}section{border-top:2px solid #eee;margin-top:16px}h4{margin:10px 0 2px}
.chart{margin:6px 0}"""

_SCRIPT = """document.querySelectorAll('select.trend-pick').forEach(function (pick) {
  var blocks = pick.closest('section').querySelectorAll('.trend');
  function show() { blocks.forEach(function (b) { b.style.display = b.dataset.trend === pick.value ? '' : 'none'; }); }
  pick.addEventListener('change', show); show();
});"""

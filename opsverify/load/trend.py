"""Earlier archived runs of the same profile: the regression against the previous one, and the trend chart."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from opsverify.archive.history import PastCheck, past_checks
from opsverify.context import RunContext
from opsverify.load.gate import increase, show_rps
from opsverify.result import Result, grade
from opsverify.spec.models.loadtests import LoadSla
from opsverify.spec.units import format_percent

KEPT = ("passed", "warning", "failed")  # runs that measured something (not error, not skipped)
TREND_RUNS = 12


def earlier(context: RunContext, fingerprint: str) -> list[PastCheck]:
    """Earlier complete runs of this test with the same profile and journeys, newest first."""
    found = past_checks(context.reports, context.environment.environment, context.nodeid,
                        before=context.started_iso(), limit=200)
    return [p for p in found if p.entry.get("outcome") in KEPT
            and p.entry.get("evidence", {}).get("plan_fingerprint") == fingerprint
            and p.entry.get("evidence", {}).get("complete")][:TREND_RUNS]


def metrics(evidence: dict[str, Any]) -> dict[str, float | None]:
    """What a run is compared on: p95 and throughput of its judged stages, or a stress run's capacity."""
    if evidence.get("profile") == "stress":
        return {"capacity_rps": evidence.get("capacity_rps")}
    judged = evidence.get("judged") or {}
    return {"p95_ms": judged.get("p95_ms"), "rps": judged.get("rps")}


def regression(evidence: dict[str, Any], previous: PastCheck | None, sla: LoadSla) -> list[Result]:
    """This run against the previous one: p95 may rise and throughput fall by at most max_regression."""
    if previous is None or (sla.max_regression is None and sla.warn_max_regression is None):
        return []
    now, then = metrics(evidence), metrics(previous.entry.get("evidence", {}))
    when = previous.started[:10] or previous.run
    found = []
    for key, label, worse, show in (("p95_ms", "p95", 1, lambda v: f"{v:,.1f}ms"),
                                    ("rps", "throughput", -1, show_rps),
                                    ("capacity_rps", "capacity", -1, show_rps)):
        change = increase(then.get(key), now.get(key)) if key in now else None
        if change is None:
            continue
        found.append(grade(f"{label} regression against the run of {when} ({show(then[key])} to {show(now[key])})",
                           change * worse, sla.max_regression, sla.warn_max_regression, show=format_percent,
                           unit="ratio"))
    return found


def chart(points: list[tuple[str, dict[str, float | None]]]) -> str:
    """An SVG line chart of the compared figures across runs (oldest first), each line scaled to its highest."""
    width, height, left, right, top, bottom = 640, 220, 48, 48, 24, 40
    keys = [k for k in ("p95_ms", "rps", "capacity_rps") if any(m.get(k) is not None for _, m in points)]
    colors = {"p95_ms": "#c0392b", "rps": "#2471a3", "capacity_rps": "#2471a3"}
    names = {"p95_ms": "p95 (ms)", "rps": "throughput (req/s)", "capacity_rps": "capacity (req/s)"}
    step = (width - left - right) / max(1, len(points) - 1)
    every = math.ceil(len(points) / 6)  # at most about six labels under the axis
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
             f'fill="none" stroke="#ccc"/>']
    for i, (label, _) in enumerate(points):
        if i == len(points) - 1 or (i % every == 0 and len(points) - 1 - i >= every):
            parts.append(f'<text x="{left + i * step:.1f}" y="{height - bottom + 14}" text-anchor="middle">'
                         f'{escape(label)}</text>')
    for row, key in enumerate(keys):
        values = [m.get(key) for _, m in points]
        highest = max(v for v in values if v is not None) or 1.0
        xy = [(left + i * step, top + (height - top - bottom) * (1 - v / (highest * 1.1)))
              for i, v in enumerate(values) if v is not None]
        parts.append(f'<polyline fill="none" stroke="{colors[key]}" stroke-width="2" '
                     f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in xy)}"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colors[key]}"/>' for x, y in xy]
        latest = "-" if values[-1] is None else f"{values[-1]:,.1f}"
        parts.append(f'<text x="{left + row * 260}" y="{height - 8}" fill="{colors[key]}">{names[key]}: '
                     f'latest {latest}, highest {highest:,.1f}</text>')
    parts.append(f'<text x="{left}" y="{top - 8}">the last {len(points)} comparable runs of this profile '
                 f'(each line scaled to its own highest value)</text>')
    return "".join(parts) + "</svg>"

"""Compliance controls: the `controls:` ids of checked items rolled up into a status per control and a score."""

from __future__ import annotations

from typing import Any

from opsverify.spec.units import Ratio, format_percent

FAILING = ("failed", "error")
PASSING = ("passed", "warning")


def control_status(outcomes: list[str]) -> str:
    """A control fails if any of its checks failed or could not be made; waived if one was waived; else passed."""
    if any(o in FAILING for o in outcomes):
        return "failed"
    if "waived" in outcomes:
        return "waived"
    if any(o in PASSING for o in outcomes):
        return "passed"
    return "not assessed"  # every check of it was skipped


def roll_up(checks: list[dict[str, Any]], min_score: Ratio | None = None,
            warn_min_score: Ratio | None = None, severity: str | None = None) -> dict[str, Any] | None:
    """Each control with its status and checks (node ids), the score and its verdict against min_score.

    The score is the share of controls that passed among those that passed or failed: a waived control
    (an accepted risk) and one whose checks were all skipped count neither way. None when no check names a control.
    """
    members: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        for control in check.get("controls") or ():
            members.setdefault(control, []).append(check)
    if not members:
        return None
    controls = [{"control": control, "status": control_status([c["outcome"] for c in members[control]]),
                 "checks": [c["nodeid"] for c in members[control]]} for control in sorted(members)]
    assessed = [c for c in controls if c["status"] in ("passed", "failed")]  # a waived control is an accepted risk
    passed = sum(c["status"] == "passed" for c in assessed)
    score = passed / len(assessed) if assessed else None
    status, reason = _verdict(score, passed, len(assessed), min_score, warn_min_score)
    return {"score": None if score is None else round(score, 4), "passed": passed, "assessed": len(assessed),
            "min_score": None if min_score is None else str(min_score),
            "warn_min_score": None if warn_min_score is None else str(warn_min_score),
            "severity": severity, "status": status, "reason": reason, "controls": controls}


def _verdict(score: float | None, passed: int, assessed: int, limit: Ratio | None,
             warn: Ratio | None) -> tuple[str, str]:
    """passed, warning, failed or not assessed, and a one-line reason."""
    if score is None:
        return "not assessed", "no control passed or failed in this run (their checks were skipped or waived)"
    said = f"compliance score {format_percent(score)} ({passed} of {assessed} controls passed)"
    if limit is not None and score < limit:
        return "failed", f"{said}; min_score {limit}"
    if warn is not None and score < warn:
        return "warning", f"{said}; warning level {warn}"
    return "passed", said + (f"; min_score {limit}" if limit is not None else "")

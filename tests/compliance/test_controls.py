"""Controls roll up: a control fails with any of its checks, waived ones count neither way, the score gates."""

from __future__ import annotations

from opsverify.controls import roll_up
from opsverify.spec.units import parse_ratio


def _check(nodeid, outcome, *controls):
    return {"nodeid": nodeid, "outcome": outcome, "controls": list(controls)}


CHECKS = [
    _check("a", "passed", "SOC2:CC7.1", "ISO27001:A.8.13"),
    _check("b", "failed", "ISO27001:A.8.13"),
    _check("c", "warning", "SOC2:A1.2"),
    _check("d", "waived", "PCI-DSS:11.3.1"),
    _check("e", "skipped", "SOC2:CC6.2"),
    _check("f", "passed"),
]


def test_each_control_gets_the_status_of_its_worst_check():
    rolled = roll_up(CHECKS, parse_ratio("90%"), severity="P2")
    status = {c["control"]: c["status"] for c in rolled["controls"]}
    assert status == {"ISO27001:A.8.13": "failed", "PCI-DSS:11.3.1": "waived", "SOC2:A1.2": "passed",
                      "SOC2:CC6.2": "not assessed", "SOC2:CC7.1": "passed"}
    assert next(c for c in rolled["controls"] if c["control"] == "ISO27001:A.8.13")["checks"] == ["a", "b"]


def test_the_score_counts_passed_among_passed_and_failed_controls():
    rolled = roll_up(CHECKS, parse_ratio("90%"), severity="P2")
    assert (rolled["passed"], rolled["assessed"], rolled["score"]) == (2, 3, 0.6667)
    assert rolled["status"] == "failed"
    assert rolled["reason"] == "compliance score 66.67% (2 of 3 controls passed); min_score 90%"


def test_a_score_between_warn_and_limit_warns_and_without_a_limit_passes():
    assert roll_up(CHECKS, parse_ratio("50%"), parse_ratio("80%"))["status"] == "warning"
    assert roll_up(CHECKS)["status"] == "passed"


def test_no_controls_means_no_compliance_section_and_all_skipped_is_not_assessed():
    assert roll_up([_check("f", "passed")]) is None
    assert roll_up([_check("e", "skipped", "X:1")], parse_ratio("90%"))["status"] == "not assessed"

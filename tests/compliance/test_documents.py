"""Documents must have been reviewed within max_age: the 'Last reviewed' line, else the file's time."""

from __future__ import annotations

import datetime as dt
import os

from opsverify.checks.compliance import document_reviewed
from opsverify.result import Status
from tests.compliance.helpers import context, environment

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.timezone.utc)


def _check(tmp_path, path: str, max_age: str = "90d", warn: str = ""):
    env = environment(f"environment: t\ncompliance:\n  documents:\n    - {{path: '{path}', max_age: {max_age}"
                      + (f", warn_max_age: {warn}" if warn else "") + "}\n")
    return document_reviewed(env.compliance.documents[0], context=context(env, tmp_path, NOW))


def test_a_recent_review_line_passes(tmp_path):
    (tmp_path / "runbook.md").write_text("# Runbook\n\n**Last reviewed:** 2026-03-01\n")
    result = _check(tmp_path, "runbook.md")  # relative: next to the environment file
    assert result.status is Status.PASSED, result
    assert result.reason == ("runbook.md last reviewed 2026-03-01 ('Last reviewed' line); "
                             "time since review is 64d; limit 90d")


def test_an_old_review_fails_with_its_date_and_age(tmp_path):
    (tmp_path / "runbook.md").write_text("Last reviewed: 2025-11-20\nowner: ops\n")
    result = _check(tmp_path, str(tmp_path / "runbook.md"))
    assert result.status is Status.FAILED
    assert result.reason == ("runbook.md last reviewed 2025-11-20 ('Last reviewed' line); "
                             "time since review is 165d; limit 90d")


def test_the_newest_of_several_review_lines_counts_and_warn_applies(tmp_path):
    (tmp_path / "policy.md").write_text("last-reviewed: 2025-01-01\n...\nLast reviewed: 2026-02-20\n")
    result = _check(tmp_path, "policy.md", max_age="90d", warn="60d")
    assert result.status is Status.WARNING and "2026-02-20" in result.reason and "warning level 60d" in result.reason


def test_without_a_review_line_the_file_time_counts(tmp_path):
    doc = tmp_path / "plan.txt"
    doc.write_text("Incident response plan\n")
    old = (NOW - dt.timedelta(days=120)).timestamp()
    os.utime(doc, (old, old))
    result = _check(tmp_path, "plan.txt")
    assert result.status is Status.FAILED
    assert "(file time); time since review is 120d; limit 90d" in result.reason
    assert "modification time" in result.evidence["source"]


def test_a_missing_document_fails(tmp_path):
    result = _check(tmp_path, "gone.md")
    assert result.status is Status.FAILED and result.reason == f"document {tmp_path / 'gone.md'} does not exist"


def test_a_review_dated_in_the_future_fails(tmp_path):
    (tmp_path / "runbook.md").write_text("Last reviewed: 2027-01-01\n")
    result = _check(tmp_path, "runbook.md")
    assert result.status is Status.FAILED and "in the future" in result.reason


def test_an_impossible_date_is_an_error(tmp_path):
    (tmp_path / "runbook.md").write_text("Last reviewed: 2026-02-30\n")
    result = _check(tmp_path, "runbook.md")
    assert result.status is Status.ERROR and "'Last reviewed: 2026-02-30' is not a date" in result.reason


def test_the_demo_break_makes_the_runbook_stale(tmp_path):
    from opsverify import demo
    from opsverify.spec import load

    with demo.start(tmp_path / "demo", ["stale-document"]) as running:
        env = load(running.env_path)
    runbook = next(d for d in env.compliance.documents if d.path.endswith("runbook.md"))
    result = document_reviewed(runbook, context=context(env, tmp_path))
    assert result.status is Status.FAILED and "time since review is 200d; limit 90d" in result.reason, result

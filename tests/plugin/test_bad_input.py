"""A malformed environment file stops the run before any check: file, line, key; no traceback."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import run_checklist

GOOD = """environment: staging
endpoints:
  - name: api
    url: https://127.0.0.1:9/health
    expect: {max_time: 2s}
"""

BAD = [
    ("misspelt key", GOOD.replace("max_time", "max_tme"), ["line 5", "max_tme", "max_time"]),
    ("bad unit", GOOD.replace("2s", "2 parsecs"), ["line 5", "max_time", "duration"]),
    ("missing variable", GOOD.replace("/health", "/health?t=${HEALTH_TOKEN}"), ["line 4", "HEALTH_TOKEN", "url"]),
    ("duplicate name", GOOD + "  - name: api\n    url: https://127.0.0.1:9/x\n", ["line 6", "api", "line 3"]),
]


@pytest.mark.parametrize(("text", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_malformed_environment_file_stops_the_run(tmp_path, reports, text, expected):
    env = tmp_path / "staging.yml"
    env.write_text(text)
    run = run_checklist(reports, "-m", "daily", f"--env={env}")
    assert run.code == 4, run.out
    assert "Traceback" not in run.out and str(env) in run.out
    for word in expected:
        assert word in run.out, (word, run.out)
    assert "passed" not in run.out and "failed" not in run.out
    assert not reports.exists() or not any(reports.rglob("results.json"))


def test_env_written_with_a_space_outside_the_checkout_is_explained(tmp_path, reports):
    env = tmp_path / "staging.yml"
    env.write_text(GOOD)
    run = run_checklist(reports, "-m", "daily", "--env", str(env))
    assert run.code == 4 and "Traceback" not in run.out
    assert f"--env={env}" in run.out and "OPSV_ENV" in run.out


def test_reports_written_with_a_space_is_explained(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    run = run_checklist(tmp_path / "r", "-m", "daily", "--reports", str(tmp_path / "elsewhere"))
    assert run.code == 4 and "Traceback" not in run.out
    assert f"--reports={tmp_path / 'elsewhere'}" in run.out

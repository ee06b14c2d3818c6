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

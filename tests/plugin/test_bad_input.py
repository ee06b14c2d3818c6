"""A malformed environment file stops the run before any check: file, line, key; no traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugin.conftest import ROOT, run_checklist
from tests.spec.helpers import bomb
from tests.support.http_server import HttpServer, Reply

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


def check_env(path: Path | str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`opsverify check-env PATH` with 1 GiB of address space: a file that expands without bound fails fast."""
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run([sys.executable, "-m", "opsverify.cli", "check-env", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, preexec_fn=limited, env=environ)


def hostile(folder: Path, kind: str) -> Path:
    """A file the review broke the loader with."""
    if kind == "device":
        return Path("/dev/zero")
    path = folder / "env.yml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text(bomb(9))
    return path


@pytest.mark.parametrize(("kind", "said"), [
    ("alias bomb", "line 6, a4[7]: aliases repeat 23,456,790,101 values in this file, more than the 100,000 allowed"),
    ("fifo", "is a named pipe (FIFO); only a regular file is read"),
    ("device", "is a character device; only a regular file is read")])
def test_a_hostile_file_is_refused_alike_by_check_env_and_pytest(tmp_path, reports, kind, said):
    """A 534-byte alias bomb (> 6 GB before), a FIFO (a hang) and /dev/zero (MemoryError): exit 4, one line."""
    path = hostile(tmp_path, kind)
    checked = check_env(path)
    assert (checked.returncode, checked.stdout) == (4, ""), checked.stderr
    assert said in checked.stderr and "Traceback" not in checked.stderr
    run = run_checklist(reports, "-m", "daily", f"--env={path}")
    assert run.code == 4 and said in run.out and "Traceback" not in run.out, run.out
    assert not reports.exists() or not any(reports.rglob("results.json"))


def bad_values(url: str) -> str:
    """A production file whose values each passed check-env before and failed (or wrote) only in the run."""
    return f"""environment: shop
production: true
defaults: {{timeout: .inf}}
endpoints:
  - name: passwd
    url: file:///etc/passwd
  - name: traced
    url: {url}/health
    headers: {{X-Trace: "${{TRACE}}"}}
  - name: slow
    url: {url}/health
    timeout: 99999999999999999999999w
    expect: {{max_time: 0ms}}
"""


WIPE = """environment: shop
production: true
endpoints:
  - name: wipe
    url: {url}/cache
    method: DELETE
"""


@pytest.mark.parametrize("case", ["values", "delete in production", "dot-dot", "long name"])
def test_values_that_broke_the_run_are_refused_alike_by_check_env_and_pytest(tmp_path, reports, case):
    """Review cases 19-23, 30, 31, 34 and group 5 #13: each is now a line and key, exit 4, no request sent."""
    with HttpServer({"/health": Reply(200, "ok"), "/cache": Reply(204)}) as target:
        path = tmp_path / "shop.yml"
        text = bad_values(target.base_url)
        path.write_text({"values": text, "delete in production": WIPE.format(url=target.base_url),
                         "dot-dot": text.replace("shop", "..", 1),
                         "long name": "environment: " + "x" * 300 + "\n"}[case])
        said = {"values": ["line 3, defaults.timeout: inf is longer than 100 years",
                           "line 6, endpoints[0].url: is not an http:// or https:// URL: it starts with file:",
                           "line 9, endpoints[1].headers: the value of header X-Trace contains a control character "
                           "(CR at character 4)",
                           "line 12, endpoints[2].timeout: '99999999999999999999999w' is longer than 100 years",
                           "line 13, endpoints[2].expect.max_time: must be more than 0, got '0ms'"],
                "delete in production": ["line 6, endpoints[0].method: DELETE may write, and the environment has "
                                         "production: true"],
                "dot-dot": ["line 1, environment: '..' cannot name a folder in the archive"],
                "long name": ["line 1, environment: is 300 characters long"]}[case]
        environ = {**os.environ, "TRACE": "abc\r\nX-Injected: 1"}
        checked = check_env(path, environ)
        run = run_checklist(reports, "-m", "daily", f"--env={path}", env={"TRACE": environ["TRACE"]})
        assert target.requests == []
    assert checked.returncode == 4 and "Traceback" not in checked.stderr, checked.stderr
    assert run.code == 4 and "Traceback" not in run.out and "INTERNALERROR" not in run.out, run.out
    for line in said:
        assert line in checked.stderr and line in run.out, (line, checked.stderr)
    assert not reports.exists() or not any(reports.rglob("results.json"))

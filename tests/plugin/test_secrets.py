"""Canary secrets in a database URL and a header never appear in any output of a run."""

from __future__ import annotations

from tests.plugin.conftest import run_checklist
from tests.services import POSTGRES, need

PASSWORD = "canary-pw-7f3a9c"
TOKEN = "canary-token-51be2d"


def test_canaries_appear_nowhere(tmp_path, reports):
    need("PostgreSQL", POSTGRES)
    env = tmp_path / "canary.yml"
    env.write_text(f"""environment: canary
defaults: {{timeout: 2s}}
redact: [X-Api-Key]
endpoints:
  - name: refused
    url: http://user:{PASSWORD}@127.0.0.1:9/health
    headers: {{Authorization: "Bearer ${{CANARY_TOKEN}}", X-Api-Key: "{TOKEN}"}}
databases:
  - name: pg-ok
    url: postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:5432/postgres
    max_latency: 1ms
  - name: pg-missing-db
    url: postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:5432/no_such_db_{PASSWORD}
""")
    run = run_checklist(reports, "-m", "daily", f"--env={env}", "-rA", "-vv",
                        env={"CANARY_TOKEN": TOKEN})
    assert run.code == 1, run.out
    outputs = {"terminal": run.out}
    outputs.update({str(p): p.read_text(errors="replace") for p in reports.rglob("*") if p.is_file()})
    assert len(outputs) >= 4
    for where, text in outputs.items():
        assert PASSWORD not in text, where
        assert TOKEN not in text, where
    assert run.check("test_database_connects", "pg-missing-db")["outcome"] == "error"

"""The runbook coverage pages tell the truth: their counts add up and every check they cite is collected."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs" / "runbooks").glob("*.md"))
STACKS = ("laravel-mysql", "node-mongodb", "nextjs-postgres-redis", "frappe-mariadb", "aws-ecs-rds")
SUMMARY = re.compile(r"\*\*Automated: (\d+) of (\d+) machine-verifiable checklist lines \((\d+)%\)\.\*\* "
                     r"Gaps: (\d+)\. Not automatable: (\d+)\.")
CITED = re.compile(r"`(test_\w+)(?:\[([^\]`]+)\])?`")
STATUS = re.compile(r"^(automated|gap: .+|manual: .+)$")


@dataclass(frozen=True)
class Row:
    """One checklist line of a coverage table."""

    number: str
    check: str
    status: str


def rows(page: Path) -> list[Row]:
    """The rows of the page's checklist coverage table."""
    text = page.read_text().split("## Checklist coverage", 1)[1].split("\n## ", 1)[0]
    cells = [[c.strip() for c in line.strip().strip("|").split("|")]
             for line in text.splitlines() if line.startswith("|")]
    return [Row(c[0], c[3], c[4]) for c in cells[2:]]


def collected(example: Path) -> set[str]:
    """The test ids (`test_name[item]`) the checklist collects for an example environment, without running it."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", f"--env={example}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return {line.split("::", 1)[1] for line in out.stdout.splitlines() if "::" in line}


def test_every_runbook_has_a_page_and_an_example():
    assert [p.stem for p in PAGES] == sorted(STACKS)
    for stack in STACKS:
        assert (ROOT / "fixtures" / "environments" / "examples" / f"{stack}.yml").is_file()


@pytest.mark.parametrize("stack", STACKS)
def test_example_passes_check_env(stack):
    example = ROOT / "fixtures" / "environments" / "examples" / f"{stack}.yml"
    out = subprocess.run([sys.executable, "-m", "opsverify.cli", "check-env", str(example)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("stack", STACKS)
def test_coverage_page_counts_add_up(stack):
    page = ROOT / "docs" / "runbooks" / f"{stack}.md"
    found = SUMMARY.search(page.read_text())
    assert found, f"{page.name} lacks the summary line"
    automated, verifiable, percent, gaps, manual = map(int, found.groups())
    table = rows(page)
    assert all(STATUS.match(r.status) for r in table), [r for r in table if not STATUS.match(r.status)]
    assert len({r.number for r in table}) == len(table), "row numbers repeat"
    assert automated == sum(r.status == "automated" for r in table)
    assert gaps == sum(r.status.startswith("gap:") for r in table)
    assert manual == sum(r.status.startswith("manual:") for r in table)
    assert verifiable == automated + gaps
    assert percent == round(100 * automated / verifiable)
    readme = (ROOT / "README.md").read_text()
    assert f"(docs/runbooks/{stack}.md): {automated} of {verifiable} ({percent}%) |" in readme, "README's figure is stale"


@pytest.mark.parametrize("stack", STACKS)
def test_every_cited_check_is_collected_for_the_example(stack):
    page = ROOT / "docs" / "runbooks" / f"{stack}.md"
    ids = collected(ROOT / "fixtures" / "environments" / "examples" / f"{stack}.yml")
    names = {i.split("[", 1)[0] for i in ids}
    missing = []
    for row in rows(page):
        cited = CITED.findall(row.check)
        if row.status == "automated" and not cited:
            missing.append(f"{row.number}: automated but names no check")
        for name, item in cited:
            if (f"{name}[{item}]" not in ids) if item else (name not in names):
                missing.append(f"{row.number}: {name}[{item}]" if item else f"{row.number}: {name}")
    assert not missing, f"{page.name} cites checks the example does not collect: {missing}"

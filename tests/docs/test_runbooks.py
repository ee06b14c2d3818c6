"""The runbook coverage pages tell the truth: their summary line is the recount of their table, every automated row
names the test that shows its check failing, and every check they cite is collected for the example."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs" / "runbooks").glob("*.md"))
STACKS = ("laravel-mysql", "node-mongodb", "nextjs-postgres-redis", "frappe-mariadb", "aws-ecs-rds")
SUMMARY = re.compile(r"\*\*Automated: (\d+) of (\d+) machine-verifiable lines \((\d+)%\); partly (\d+); gap (\d+)\. "
                     r"Manual (\d+), attested (\d+)\.\*\*")
# automated; partly/gap/manual with what is missing or why; attested (a review date, never automation);
# `same as D4`: a line the runbook states twice, counted once in the row it names
STATUS = re.compile(r"^(?:(automated|attested)\b.*|(partly|gap|manual): \S.*|(same) as ([A-Z]+\d+[a-z]?))$")
CITED = re.compile(r"`(test_\w+)(?:\[([^\]`]+)\])?`")
PROOF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


@dataclass(frozen=True)
class Row:
    """One line of a coverage table."""

    number: str
    check: str
    status: str
    text: str  # the whole row

    @property
    def kind(self) -> str:
        """automated, partly, gap, manual, attested or same (a duplicate); `?` when the status is malformed."""
        found = STATUS.match(self.status)
        return next((g for g in found.groups()[:4] if g), "?") if found else "?"


def rows(page: Path) -> list[Row]:
    """The rows of the page's checklist coverage table."""
    text = page.read_text().split("## Checklist coverage", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in text.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    return [Row(c[0], c[3], c[4], line) for c, line in zip(cells[2:], lines[2:])]


def page_of(stack: str) -> Path:
    """The coverage page of a stack."""
    return ROOT / "docs" / "runbooks" / f"{stack}.md"


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
def test_summary_line_is_the_recount_of_the_table(stack):
    page = page_of(stack)
    found = SUMMARY.search(page.read_text())
    assert found, f"{page.name} lacks the summary line (**Automated: A of N machine-verifiable lines (P%); " \
                  "partly X; gap Y. Manual M, attested T.**)"
    automated, verifiable, percent, partly, gaps, manual, attested = map(int, found.groups())
    table = rows(page)
    assert not [r.number for r in table if r.kind == "?"], "statuses that are not automated, partly: …, gap: …, " \
        f"manual: …, attested or same as ROW: {[r.text for r in table if r.kind == '?']}"
    assert len({r.number for r in table}) == len(table), "row numbers repeat"
    kinds = Counter(r.kind for r in table)
    recount = {"automated": automated, "partly": partly, "gap": gaps, "manual": manual, "attested": attested}
    assert {k: kinds[k] for k in recount} == recount
    assert verifiable == automated + partly + gaps
    assert percent == round(100 * automated / verifiable)
    numbers = {r.number: r for r in table}
    for row in table:
        if row.kind == "same":
            named = STATUS.match(row.status).group(4)
            assert named in numbers and numbers[named].kind not in ("same", "manual", "attested"), \
                f"{row.number} is the same as {named}, which is not a counted row of the table"


@pytest.mark.parametrize("stack", STACKS)
def test_readme_shows_the_pages_figures(stack):
    found = SUMMARY.search(page_of(stack).read_text())
    assert found, f"{stack}.md lacks the summary line"
    automated, verifiable, percent, partly = map(int, found.groups()[:4])
    readme = (ROOT / "README.md").read_text()
    shown = f"(docs/runbooks/{stack}.md): {automated} of {verifiable} ({percent}%) | {partly} |"
    assert shown in readme, f"README's figures for {stack} are stale: expected {shown!r}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_automated_row_names_a_test_that_exists(stack):
    wrong = []
    for row in rows(page_of(stack)):
        proofs = PROOF.findall(row.text)
        if row.kind == "automated" and not proofs:
            wrong.append(f"{row.number}: automated but names no test in tests/ that sees its check fail")
        for path, name in proofs:
            source = ROOT / path
            if not source.is_file() or not re.search(rf"^\s*def {name}\(", source.read_text(), re.MULTILINE):
                wrong.append(f"{row.number}: {path}::{name} does not exist")
    assert not wrong, f"{stack}.md: {wrong}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_cited_check_is_collected_for_the_example(stack):
    page = page_of(stack)
    ids = collected(ROOT / "fixtures" / "environments" / "examples" / f"{stack}.yml")
    names = {i.split("[", 1)[0] for i in ids}
    missing = []
    for row in rows(page):
        cited = CITED.findall(row.check)
        if row.kind == "automated" and not cited:
            missing.append(f"{row.number}: automated but names no check")
        for name, item in cited:
            if (f"{name}[{item}]" not in ids) if item else (name not in names):
                missing.append(f"{row.number}: {name}[{item}]" if item else f"{row.number}: {name}")
    assert not missing, f"{page.name} cites checks the example does not collect: {missing}"

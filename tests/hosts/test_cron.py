"""Expected cron jobs on a real host: nobody's crontab set with `crontab`, files in /etc/cron.d; local:// and ssh://.

Each test installs what it needs and puts back what was there: nobody's crontab (under a lock, so two
runs do not mix) and its own uniquely named files in /etc/cron.d, scheduled for 31 February, so that a
running cron never starts them.
"""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsverify.checks.host.cron import crontab, jobs
from opsverify.result import Status
from tests.hosts.helpers import host_item
from tests.spec.helpers import at, one
from tests.support.fixtures import require

NEVER = "0 0 31 2 *"  # 31 February
USER = "nobody"
SCHEDULER = f"{NEVER} cd /var/www/shop && php artisan schedule:run >> /dev/null 2>&1"
CRONTAB = f"""# m h dom mon dow command
MAILTO=ops@example.com
BACKUP_SCRIPT=/usr/local/bin/backup.sh
{SCHEDULER}
# {NEVER} /usr/local/bin/backup.sh
"""


@pytest.fixture
def user_crontab() -> Iterator[Callable[[str | None], None]]:
    """Set nobody's crontab (None: none); the one it had before is put back afterwards."""
    require(None if shutil.which("crontab") else "crontab is not installed (apt-get install cron)")
    with open("/tmp/opsverify-test-crontab.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        before = subprocess.run(["crontab", "-l", "-u", USER], capture_output=True, text=True, timeout=10)

        def install(text: str | None) -> None:
            """Replace nobody's crontab."""
            if text is None:
                subprocess.run(["crontab", "-r", "-u", USER], capture_output=True, timeout=10)
            else:
                subprocess.run(["crontab", "-u", USER, "-"], input=text, text=True, check=True, timeout=10)

        try:
            yield install
        finally:
            install(before.stdout if before.returncode == 0 else None)


@pytest.fixture
def cron_d() -> Iterator[Callable[[str, str], Path]]:
    """Write files into /etc/cron.d under unique names (NAME-<random>, keeping a suffix); removed afterwards."""
    made: list[Path] = []

    def write(name: str, text: str) -> Path:
        """/etc/cron.d/opsv-test-NAME-<random>[.suffix] with this text."""
        stem, dot, suffix = name.partition(".")
        path = Path("/etc/cron.d") / f"opsv-test-{stem}-{uuid.uuid4().hex[:8]}{dot}{suffix}"
        path.write_text(text)
        made.append(path)
        return path

    try:
        yield write
    finally:
        for path in made:
            path.unlink(missing_ok=True)


def looked(user: str = USER) -> str:
    """Where the check looks on this machine, as its reason says."""
    files = [p for p in Path("/etc/cron.d").iterdir() if re.fullmatch(r"[A-Za-z0-9_-]+", p.name) and p.is_file()]
    places = [f"the crontab of {user}"] + (["/etc/crontab"] if Path("/etc/crontab").exists() else [])
    places += [f"{len(files)} {'file' if len(files) == 1 else 'files'} in /etc/cron.d"] if files else []
    return ", ".join(places)


def test_a_missing_job_fails_and_a_commented_one_does_not_count(target: str, user_crontab, cron_d) -> None:
    user_crontab(CRONTAB)
    cron_d("printshop", f"{NEVER} www-data /usr/local/bin/opsv-prune-exports\n")
    expect = ["artisan schedule:run", r"backup\.sh", "opsv-prune-exports"]
    result = crontab(host_item(target, crontab={"user": USER, "expect": expect}))
    assert result.status is Status.FAILED
    assert result.reason == f'1 expected cron job is missing on web1: "backup\\.sh" (looked in {looked()})'
    assert result.evidence["found"]["artisan schedule:run"] == f"the crontab of {USER}"
    assert "ops@example.com" not in str(result)  # job lines are never shown


def test_every_expected_job_present_passes(target: str, user_crontab, cron_d) -> None:
    user_crontab(CRONTAB)
    path = cron_d("printshop", f"SHELL=/bin/sh\n{NEVER} www-data /usr/local/bin/opsv-prune-exports\n")
    result = crontab(host_item(target, crontab={"user": USER, "expect": ["artisan schedule:run",
                                                                           "opsv-prune-exports$"]}))
    assert (result.status, result.reason) == (
        Status.PASSED, f'all 2 expected cron jobs are set up on web1: "artisan schedule:run" in the crontab of '
                       f'{USER}, "opsv-prune-exports$" in {path}')


def test_a_cron_d_file_cron_ignores_does_not_count(user_crontab, cron_d) -> None:
    user_crontab(None)  # "no crontab for nobody" is an empty crontab, not an error
    skipped = cron_d("backup.disabled", f"{NEVER} root /usr/local/bin/opsv-nightly-backup\n")
    result = crontab(host_item(crontab={"user": USER, "expect": ["opsv-nightly-backup"]}))
    assert (result.status, result.reason) == (
        Status.FAILED, f'1 expected cron job is missing on web1: "opsv-nightly-backup" (looked in {looked()})')
    assert str(skipped) in result.evidence["ignored"]


def test_reading_another_users_crontab_without_root_is_an_error() -> None:
    require(None if shutil.which("sudo") else "sudo is not installed: the check cannot run as another user here")
    result = crontab(host_item("local://?sudo=true&sudo_user=nobody", crontab={"expect": ["schedule:run"]}))
    assert result.status is Status.ERROR
    assert result.reason == ("cannot read the crontab of root on web1: must be privileged to use -u (reading another "
                             "user's crontab needs root: add ?sudo=true to the target)")


def test_job_lines_leave_out_comments_and_settings() -> None:
    assert jobs(CRONTAB) == [SCHEDULER]


def test_an_empty_expect_list_is_a_spec_error() -> None:
    problem = one("environment: x\nhosts:\n  - name: web1\n    crontab: {user: www-data, expect: []}\n")
    at(problem, 4, "hosts[0].crontab.expect", "needs at least one entry")


def test_a_bad_pattern_is_a_spec_error() -> None:
    problem = one("environment: x\nhosts:\n  - name: web1\n    crontab:\n      expect: ['artisan (schedule:run']\n")
    at(problem, 5, "hosts[0].crontab.expect[0]", "not a valid regular expression")

"""The example environments' own log items, pointed at real files, fail in the failure their runbook line worries
about: sudo by someone who is not an administrator (Node W7/O47), a maintenance script that did not run or failed
(AWS D12)."""

from __future__ import annotations

from pathlib import Path

from opsverify.checks.host import OnHost
from opsverify.checks.logs import matches
from opsverify.result import Status
from opsverify.spec import load
from opsverify.spec.models.hosts import Host
from tests.logs.helpers import HOUR, write_log

EXAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "environments" / "examples"


def example_log(stack: str, name: str, path: Path) -> OnHost:
    """The example's log item `name`, reading `path` on this machine instead of the server's file."""
    env = load(str(EXAMPLES / f"{stack}.yml"), environ={})
    host = next(h for h in env.hosts if any(log.name == name for log in h.logs))
    log = next(log for log in host.logs if log.name == name)
    local = Host.model_validate({"name": host.name, "target": "local://", "timeout": "10s"})
    return OnHost(local, log.model_copy(update={"path": str(path)}))


SUDO = "sudo:   {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"


def test_sudo_by_someone_other_than_the_administrators_fails(tmp_path: Path) -> None:
    usual = [(HOUR, SUDO.format(user="deploy")), (2 * HOUR, SUDO.format(user="root")),
             (3 * HOUR, "sshd[811]: Accepted publickey for deploy from 198.51.100.7 port 50022 ssh2")]
    path = write_log(tmp_path / "auth.log", usual, "syslog")
    assert matches(example_log("node-mongodb", "sudo-by-others", path)).status is Status.PASSED
    path = write_log(tmp_path / "auth.log", usual + [(4 * HOUR, SUDO.format(user="mallory"))], "syslog")
    result = matches(example_log("node-mongodb", "sudo-by-others", path))
    assert result.status is Status.FAILED
    assert result.reason.startswith('count of lines matching "sudo: +(?!(deploy|root) )\\S+ : .*COMMAND=" in the last '
                                    f"24h of {path} is 1; limit 0")


def test_a_maintenance_night_that_did_not_finish_or_failed_a_task_fails(tmp_path: Path) -> None:
    finished = [(20 * HOUR, "Starting maintenance automation"), (19 * HOUR, "Backup verification: OK"),
                (19 * HOUR - 60, "Maintenance automation completed")]
    path = write_log(tmp_path / "solemate-maintenance.log", finished, "iso-utc")
    assert matches(example_log("aws-ecs-rds", "maintenance-completed", path)).status is Status.PASSED
    assert matches(example_log("aws-ecs-rds", "maintenance-failures", path)).status is Status.PASSED
    stopped = [(44 * HOUR, "Maintenance automation completed"), (20 * HOUR, "Starting maintenance automation"),
               (19 * HOUR, "Backup verification: FAILED (restore test timed out)")]
    path = write_log(tmp_path / "solemate-maintenance.log", stopped, "iso-utc")
    result = matches(example_log("aws-ecs-rds", "maintenance-completed", path))
    assert result.status is Status.FAILED
    assert result.reason == (f'0 lines matching "Maintenance automation completed" in {path} in the last 26h; '
                             "at least 1 expected")
    failures = matches(example_log("aws-ecs-rds", "maintenance-failures", path))
    assert failures.status is Status.FAILED
    assert failures.reason.startswith(f'count of lines matching "FAILED" in the last 26h of {path} is 1; limit 0')

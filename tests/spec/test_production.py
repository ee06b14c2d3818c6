"""The shipped examples load in an empty environment, and together they use every section."""

from __future__ import annotations

import datetime
import glob

from opsverify.spec import Environment, load, summary
from opsverify.spec.models.environment import Environment as Model

PRODUCTION = "fixtures/environments/production.yml"
EXAMPLES = "fixtures/environments/examples/*.yml"


def test_loads_without_any_variable_set() -> None:
    """Secrets have dry-run defaults."""
    env = load(PRODUCTION, environ={})
    assert isinstance(env, Environment) and env.environment == "production" and env.production


def test_every_section_is_used() -> None:
    """Every key of the top level is set by production.yml or by one of the runbook examples."""
    envs = [load(path, environ={}) for path in [PRODUCTION, *sorted(glob.glob(EXAMPLES))]]
    unused = [key for key, info in Model.model_fields.items()
              if all(getattr(env, key) == info.get_default() for env in envs)]
    assert len(envs) == 6 and unused == []


def test_values_arrive_typed() -> None:
    """Units, secrets, schedules and dates are typed values that print as written."""
    env = load(PRODUCTION, environ={"DB_PASSWORD": "s3cret-pw", "SLACK_WEBHOOK": "https://hooks.example/T1/B2/x"})
    main = env.databases[0]
    assert main.url.reveal() == "mysql+pymysql://monitor:s3cret-pw@db1.internal:3306/shop"
    assert str(main.url) == "mysql+pymysql://monitor:***@db1.internal:3306/shop"
    backup = env.backups[0]
    assert (float(backup.max_age), str(backup.max_age), str(backup.max_shrink)) == (93600.0, "26h", "20%")
    assert env.hosts[0].files[0].mode_bits == 0o640
    assert env.hosts[0].sshd["permitrootlogin"] == "no"
    assert env.notify[0].webhook.reveal() == "https://hooks.example/T1/B2/x"
    assert env.waivers[0].expires == datetime.date(2027, 1, 31)
    assert str(env.schedule.quarterly) == "first monday of jan,apr,jul,oct 06:00"
    assert env.schedule.quarterly.months == (1, 4, 7, 10)
    assert env.loadtests.journeys[1].steps[0].method == "POST"


def test_summary_is_one_line() -> None:
    """For `opsverify check-env`: the name and counts of the non-empty sections."""
    line = summary(load(PRODUCTION, environ={}))
    assert "\n" not in line
    assert line.startswith("production (production: true): 4 endpoints, 2 tls, 2 databases")
    assert line.endswith("; with security, compliance, loadtests, schedule")


def test_summary_of_an_empty_environment() -> None:
    """Nothing configured yet."""
    assert summary(Model(environment="lab")) == "lab: no items"

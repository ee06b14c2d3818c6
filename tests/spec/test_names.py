"""`name` on every list item: accepted in every list of the models; when given, it is the test id."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from opsverify.checks.aws import ecs_services, rds_instances
from opsverify.spec import Environment
from opsverify.spec.schema import nested_models
from tests.plugin.conftest import run_checklist
from tests.spec.helpers import at, ok, one

GIVEN = "given-name"
HOSTS = "hosts:\n  - {name: web1}\n"
DATABASES = "databases:\n  - {name: main, url: 'sqlite://'}\n"
LOADTESTS = "loadtests:\n  host: 'https://staging.example.com'\n  profiles: {load: {users: 1, duration: 1m}}\n"
BACKUP = "path: /b/*.gz, max_age: 26h"
COPY = "from: /a, to: /c, max_lag: 1h"
# one environment per list of the models, whose list holds one item named GIVEN (`[]` marks a list)
ONE_OF_EACH: dict[str, str] = {
    "endpoints[]": "endpoints:\n  - {name: NAME, url: 'https://example.com/'}\n",
    "tls[]": "tls:\n  - {name: NAME, host: example.com}\n",
    "databases[]": "databases:\n  - {name: NAME, url: 'sqlite://'}\n",
    "caches[]": "caches:\n  - {name: NAME, url: 'redis://127.0.0.1:6379'}\n",
    "mongodb[]": "mongodb:\n  - {name: NAME, url: 'mongodb://127.0.0.1:27017/app'}\n",
    "smtp[]": "smtp:\n  - {name: NAME, host: mail.example.com}\n",
    "backups[]": f"backups:\n  - {{name: NAME, {BACKUP}}}\n",
    "backups[].copies[]": f"backups:\n  - {{name: b, {BACKUP}, copies: [{{name: NAME, {COPY}}}]}}\n",
    "hosts[]": "hosts:\n  - {name: NAME}\n",
    "hosts[].files[]": "hosts:\n  - {name: web1, files: [{name: NAME, path: /etc/app.env}]}\n",
    "hosts[].logs[]": "hosts:\n  - {name: web1, logs: [{name: NAME, path: /a.log, pattern: ERROR, max: 0}]}\n",
    "hosts[].old_files[]": "hosts:\n  - {name: web1, old_files: [{name: NAME, path: /tmp, max_age: 7d}]}\n",
    "metrics[]": DATABASES + "metrics:\n  - {name: NAME, database: main, sql: SELECT 1, max: 1}\n",
    "apps[]": "apps:\n  - {name: NAME, framework: laravel}\n",
    "pages[]": "pages:\n  - {name: NAME, url: 'https://example.com/'}\n",
    "security.dependency_audit[]": "security:\n  dependency_audit: [{name: NAME, lockfile: /app/composer.lock}]\n",
    "compliance.documents[]": "compliance:\n  documents: [{name: NAME, path: docs/runbook.md, max_age: 90d}]\n",
    "compliance.log_retention[]": "compliance:\n  log_retention: [{name: NAME, path: /var/log/app, min_days: 90}]\n",
    "aws.ecs[]": "aws:\n  region: eu-west-1\n  ecs: [{name: NAME, cluster: shop}]\n",
    "aws.rds[]": "aws:\n  region: eu-west-1\n  rds: [{name: NAME, instance: shop-db}]\n",
    "aws.log_groups[]": "aws:\n  region: eu-west-1\n  log_groups: [{name: NAME, group: /ecs/shop, min_days: 30}]\n",
    "aws.ecr[]": "aws:\n  region: eu-west-1\n  ecr: [{name: NAME, repository: shop}]\n",
    "aws.alarms.notify[]": "aws:\n  region: eu-west-1\n  alarms: {notify: [{name: NAME, protocol: email}]}\n",
    "loadtests.journeys[]": f"{LOADTESTS}  journeys: [{{name: NAME, steps: [{{get: /}}]}}]\n",
    "loadtests.journeys[].steps[]": f"{LOADTESTS}  journeys: [{{name: j, steps: [{{name: NAME, get: /}}]}}]\n",
    "notify[]": "notify:\n  - {name: NAME, webhook: 'https://hooks.example.com/x'}\n",
    "waivers[]": "waivers:\n  - {name: NAME, check: 'test_x[y]', reason: r, approved_by: me, expires: 2099-01-01}\n",
}


def lists_of(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every list of models under `model`, as `section.key[]` paths, read from the models' own annotations."""
    found = []
    for field in nested_models(model):
        here = f"{prefix}{field.key}{'[]' if field.many else ''}"
        if field.many:
            found.append(here)
        found += lists_of(field.model, here + ".")
    return found


def item_at(env: Any, path: str) -> Any:
    """The first item of the list at `path` (`backups[].copies[]`: the first copy of the first backup)."""
    node = env
    for part in path.split("."):
        node = getattr(node, part.removesuffix("[]"))
        if part.endswith("[]"):
            node = node[0]
    return node


def test_every_list_of_the_models_is_tried() -> None:
    """A list added to the models without a case here fails: the rule covers every list, not the ones named."""
    assert sorted(lists_of(Environment)) == sorted(ONE_OF_EACH)


@pytest.mark.parametrize("path", sorted(ONE_OF_EACH))
def test_every_list_item_takes_a_name(path: str) -> None:
    """`name` is never an unknown key: it loads and the item carries it (the test id where there is a test)."""
    env = ok(f"environment: x\n{ONE_OF_EACH[path].replace('NAME', GIVEN)}")
    assert item_at(env, path).name == GIVEN


def test_without_a_name_the_ids_stay_as_they_were() -> None:
    """Paths, `host:path`, repository:tag, the cluster and the instance."""
    env = ok(f"environment: x\n{HOSTS}"
             "compliance:\n  documents: [{path: docs/runbook.md, max_age: 90d}]\n"
             "  log_retention: [{path: /var/log/app, host: web1, min_days: 90}]\n"
             "aws:\n  region: eu-west-1\n  ecs: [{cluster: shop, services: [web]}]\n  rds: [{instance: shop-db}]\n"
             "  ecr: [{repository: shop, tag: v1}]\n  log_groups: [{prefix: /ecs/, min_days: 30}]\n")
    assert [env.compliance.documents[0].name, env.compliance.log_retention[0].name] == [
        "docs/runbook.md", "web1:/var/log/app"]
    assert [t.name for t in ecs_services(env) + rds_instances(env)] == ["shop/web", "shop-db"]
    assert [env.aws.ecr[0].name, env.aws.log_groups[0].name] == ["shop:v1", "/ecs/"]


def test_a_named_cluster_or_instance_is_still_looked_up_by_its_own_id() -> None:
    """The name is the test id; the API is asked about the cluster and the instance the entry names."""
    env = ok("environment: x\naws:\n  region: eu-west-1\n"
             "  ecs: [{name: shop-services, cluster: shop-prod-7f3, services: [web, worker]}]\n"
             "  rds: [{name: orders-db, instance: db-7f3a}]\n")
    assert [t.name for t in ecs_services(env)] == ["shop-services/web", "shop-services/worker"]
    ((rds,), (ecs, _)) = rds_instances(env), ecs_services(env)
    assert (rds.name, rds.entry.instance, ecs.entry.cluster) == ("orders-db", "db-7f3a", "shop-prod-7f3")


def test_names_given_twice_in_a_list_are_refused() -> None:
    """Names are test ids: unique in a list, whether the list's items must have one or may."""
    problem = one("environment: x\ncompliance:\n  documents:\n    - {name: policy, path: a.md, max_age: 90d}\n"
                  "    - {name: policy, path: b.md, max_age: 90d}\n")
    at(problem, 5, "compliance.documents[1].name", "duplicate name 'policy' (also on line 4)")


def test_a_bad_name_and_the_python_attribute_are_refused() -> None:
    """A name is a test id (letters, digits, -, _, .); the model's attribute `given_name` is not a key of the file."""
    head = "environment: x\ncompliance:\n  documents:\n"
    at(one(f"{head}    - {{name: a b, path: a.md, max_age: 90d}}\n"), 4, "compliance.documents[0].name",
       "only letters, digits")
    at(one(f"{head}    - {{given_name: p, path: a.md, max_age: 90d}}\n"), 4, "compliance.documents[0].given_name",
       "unknown key")


def test_the_names_are_the_test_ids_of_a_real_run(tmp_path) -> None:
    """`pytest --collect-only`: the documents, log retention and dependency audits named in the file are the ids."""
    env = tmp_path / "named.yml"
    env.write_text("environment: named\nhosts:\n  - {name: web1}\n"
                   "compliance:\n  documents: [{name: security-policy, path: docs/policy.md, max_age: 365d},"
                   " {path: docs/runbook.md, max_age: 90d}]\n"
                   "  log_retention: [{name: app-logs, path: /var/log/app, host: web1, min_days: 90}]\n"
                   "security:\n  dependency_audit: [{name: shop-lockfile, lockfile: /srv/shop/composer.lock}]\n")
    run = run_checklist(tmp_path / "reports", "--collect-only", "-q", "-m", "monthly or weekly", f"--env={env}")
    assert run.code == 0, run.out
    for test in ("test_document_reviewed[security-policy]", "test_document_reviewed[docs/runbook.md]",
                 "test_log_retention[app-logs]", "test_dependency_audit[shop-lockfile]"):
        assert f"::{test}" in run.out, (test, run.out)

"""ECS services at their desired count, against moto: short of tasks, inactive, missing, a failed rollout."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from opsverify.checks import aws
from opsverify.checks.aws.ecs import problems_of, services
from opsverify.result import Status
from tests.aws.conftest import item


@pytest.fixture
def ecs(boto: Callable[[str], Any]) -> Any:
    """A cluster shop-prod with a task definition `web` to run services from."""
    client = boto("ecs")
    client.create_cluster(clusterName="shop-prod")
    client.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx",
                                                                          "memory": 128}])
    return client


def healthy(ecs: Any, name: str, count: int) -> None:
    """A service whose tasks all run (moto sets runningCount on update_service)."""
    ecs.create_service(cluster="shop-prod", serviceName=name, taskDefinition="web", desiredCount=count)
    ecs.update_service(cluster="shop-prod", service=name, desiredCount=count)


def test_a_service_running_its_desired_tasks_passes(ecs: Any, account: str) -> None:
    healthy(ecs, "web", 3)
    result = services(item(aws.ecs_services, account, ecs=[{"cluster": "shop-prod", "services": ["web"]}]))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == "ECS service shop-prod/web runs 3 of 3 desired tasks"
    assert result.evidence["services"]["web"] == {"status": "ACTIVE", "running": 3, "desired": 3, "pending": 0}


def test_a_service_short_of_tasks_fails(ecs: Any, account: str) -> None:
    healthy(ecs, "worker", 1)
    ecs.create_service(cluster="shop-prod", serviceName="web", taskDefinition="web", desiredCount=2)
    result = services(item(aws.ecs_services, account, ecs=[{"cluster": "shop-prod", "services": ["web"]}]))
    assert result.status is Status.FAILED
    assert result.reason == "ECS service shop-prod/web runs 0 of 2 desired tasks (2 pending)"


def test_a_whole_cluster_is_checked_when_no_services_are_listed(ecs: Any, account: str) -> None:
    healthy(ecs, "web", 2)
    healthy(ecs, "worker", 1)
    target = item(aws.ecs_services, account, ecs=[{"cluster": "shop-prod"}])
    assert target.name == "shop-prod"
    result = services(target)
    assert result.status is Status.PASSED, result.reason
    assert result.reason == "ECS cluster shop-prod: all 2 services run their desired tasks"
    ecs.create_service(cluster="shop-prod", serviceName="api", taskDefinition="web", desiredCount=4)
    result = services(target)
    assert result.status is Status.FAILED
    assert result.reason == "ECS service shop-prod/api runs 0 of 4 desired tasks (4 pending)"


def test_a_deleted_service_fails_when_listed_and_is_left_out_of_the_cluster(ecs: Any, account: str) -> None:
    healthy(ecs, "web", 1)
    ecs.create_service(cluster="shop-prod", serviceName="old", taskDefinition="web", desiredCount=0)
    ecs.delete_service(cluster="shop-prod", service="old", force=True)
    listed = services(item(aws.ecs_services, account, ecs=[{"cluster": "shop-prod", "services": ["old"]}]))
    assert (listed.status, listed.reason) == (Status.FAILED, "ECS service shop-prod/old is INACTIVE")
    whole = services(item(aws.ecs_services, account, ecs=[{"cluster": "shop-prod"}]))
    assert whole.status is Status.PASSED, whole.reason
    assert set(whole.evidence["services"]) == {"web"}


def test_a_missing_service_or_cluster_fails_naming_it(ecs: Any, account: str) -> None:
    result = services(item(aws.ecs_services, account, ecs=[{"cluster": "shop-prod", "services": ["web"]}]))
    assert (result.status, result.reason) == (Status.FAILED, "ECS service shop-prod/web does not exist")
    for section in ({"cluster": "nope", "services": ["web"]}, {"cluster": "nope"}):
        result = services(item(aws.ecs_services, account, ecs=[section]))
        assert (result.status, result.reason) == (Status.FAILED, "ECS cluster nope does not exist")


def test_an_empty_cluster_fails(ecs: Any, account: str) -> None:
    result = services(item(aws.ecs_services, account, ecs=[{"cluster": "shop-prod"}]))
    assert (result.status, result.reason) == (Status.FAILED, "ECS cluster shop-prod has no services")


def test_a_failed_rollout_is_a_problem() -> None:
    """moto never fails a deployment, so the judgement is shown on a service as describe_services returns it."""
    service = {"serviceName": "web", "status": "ACTIVE", "runningCount": 2, "desiredCount": 2, "pendingCount": 0,
               "deployments": [{"id": "ecs-svc/123", "rolloutState": "FAILED",
                                "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."},
                               {"id": "ecs-svc/100", "rolloutState": "COMPLETED"}]}
    assert problems_of("shop-prod", service) == ["ECS service shop-prod/web: deployment ecs-svc/123 failed: "
                                                 "ECS deployment circuit breaker: tasks failed to start."]
    assert problems_of("shop-prod", {**service, "deployments": []}) == []

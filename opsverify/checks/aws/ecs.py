"""ECS services: ACTIVE, running their desired number of tasks, and no deployment whose rollout failed."""

from __future__ import annotations

from typing import Any

from opsverify.checks.aws import Missing, Target, answers, aws_check, client, cluster_of, trimmed
from opsverify.result import Result, failed, passed

BATCH = 10  # describe_services takes at most ten services a call


@aws_check
def services(target: Target) -> Result:
    """The item's service (or every service of its cluster) ACTIVE, at its desired count, its rollout not failed."""
    name, api = cluster_of(target).cluster, client(target)
    listed = [target.service] if target.service else _service_names(target, api, name)
    found = [s for s in _described(target, api, name, listed) if target.service or s["status"] != "INACTIVE"]
    if not found:
        return failed(f"ECS cluster {name} has no services")
    evidence = {"services": {s["serviceName"]: {"status": s["status"], "running": s["runningCount"],
                                                 "desired": s["desiredCount"], "pending": s["pendingCount"]}
                             for s in found}}
    problems = [p for s in found for p in problems_of(name, s)]
    if problems:
        return failed(" | ".join(problems), evidence=evidence)
    if target.service:
        (one,) = found
        return passed(f"ECS service {name}/{target.service} runs {one['runningCount']} of {one['desiredCount']} "
                      "desired tasks",
                      value=one["runningCount"], unit="tasks", limit=str(one["desiredCount"]), evidence=evidence)
    return passed(f"ECS cluster {name}: all {len(found)} services run their desired tasks", value=len(found),
                  evidence=evidence)


def problems_of(name: str, service: dict[str, Any]) -> list[str]:
    """What is wrong with one described service: not ACTIVE, short of tasks, a failed rollout."""
    shown = f"ECS service {name}/{service['serviceName']}"
    out = []
    if service["status"] != "ACTIVE":
        out.append(f"{shown} is {service['status']}")
    if service["runningCount"] < service["desiredCount"]:
        out.append(f"{shown} runs {service['runningCount']} of {service['desiredCount']} desired tasks "
                   f"({service['pendingCount']} pending)")
    for deployment in service.get("deployments", []):
        if deployment.get("rolloutState") == "FAILED":
            why = trimmed(deployment.get("rolloutStateReason") or "no reason given")
            out.append(f"{shown}: deployment {deployment.get('id', '?')} failed: {why}")
    return out


def _service_names(target: Target, api: Any, name: str) -> list[str]:
    """The names of every service of the cluster."""
    with answers(target, missing=f"ECS cluster {name} does not exist"):
        pages = api.get_paginator("list_services").paginate(cluster=name)
        return [arn.rsplit("/", 1)[-1] for page in pages for arn in page["serviceArns"]]


def _described(target: Target, api: Any, name: str, listed: list[str]) -> list[dict[str, Any]]:
    """The services described, ten at a time; a listed service that does not exist raises Missing."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(listed), BATCH):
        with answers(target, missing=f"ECS cluster {name} does not exist"):
            answer = api.describe_services(cluster=name, services=listed[start:start + BATCH])
        if answer.get("failures"):
            gone = ", ".join(f"{name}/{f.get('arn', '?').rsplit('/', 1)[-1]}" for f in answer["failures"])
            raise Missing(f"ECS service {gone} does not exist")
        out += answer["services"]
    return out

"""AWS through boto3: what the `aws:` section turns into, the client of each item, and AWS errors as causes.

boto3 is imported only when a check runs (the verify tests name their checks by string), so an
environment without `aws:` never needs it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from opsverify.checks import CheckError, probe, timeout_of
from opsverify.result import Result, failed
from opsverify.spec import Environment
from opsverify.spec.models.aws import Aws, EcsCluster, Iam, RdsInstance
from opsverify.spec.models.common import Entry
from opsverify.spec.secret import shorten
from opsverify.spec.units import Duration

IAM_PREFIX = {"elbv2": "elasticloadbalancing"}  # where the API's name is not its IAM action prefix
_REJECTED = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken",
             "ExpiredTokenException", "InvalidSignatureException", "AuthFailure", "InvalidAccessKeyId"}
_DENIED = {"UnauthorizedOperation", "AuthorizationError", "UnauthorizedException"}


class Missing(Exception):
    """The named resource does not exist: a failure, not an error."""


@dataclass(frozen=True)
class Target:
    """One thing an `aws:` check looks at, with the section it belongs to; `name` is its test id."""

    aws: Aws
    api: str  # the boto3 client: ecs, rds, elasticache, cloudwatch, elbv2, ec2, logs, iam, ecr
    name: str
    entry: Entry | None = None  # the nested entry with its own keys (ECS cluster, RDS instance, alarms, ...)
    service: str | None = None  # ECS: the one service; None: every service of the cluster

    @property
    def _own(self) -> Entry:
        """The entry whose severity and timeout apply (resolved on load from the section's)."""
        return self.entry or self.aws

    @property
    def severity(self) -> str | None:
        """The entry's severity, else the section's."""
        return self._own.severity

    @property
    def timeout(self) -> Duration | None:
        """The time limit of each API call."""
        return self._own.timeout

    @property
    def cadence(self) -> str | None:
        """The entry's cadence, else the section's (else the check's default)."""
        return (self.entry.cadence if self.entry else None) or self.aws.cadence

    @property
    def tags(self) -> tuple[str, ...]:
        """The section's tags and the entry's."""
        return tuple(dict.fromkeys(self.aws.tags + (self.entry.tags if self.entry else ())))

    @property
    def controls(self) -> tuple[str, ...]:
        """The section's controls and the entry's."""
        return tuple(dict.fromkeys(self.aws.controls + (self.entry.controls if self.entry else ())))

    @property
    def smoke(self) -> bool:
        """Tagged for the post-deploy gate, here or on the section."""
        return "smoke" in self.tags

    @property
    def url(self) -> str:
        """The API endpoint (the probe pool caps concurrency per endpoint)."""
        if self.api == "iam":  # a global service
            return self.aws.endpoint_url or "https://iam.amazonaws.com"
        host = {"cloudwatch": "monitoring", "elbv2": "elasticloadbalancing", "ecr": "api.ecr"}.get(self.api, self.api)
        return self.aws.endpoint_url or f"https://{host}.{self.aws.region}.amazonaws.com"


def ecs_services(env: Environment) -> list[Target]:
    """One item per listed ECS service (`shop-prod/web`), or per cluster (`shop-prod`) that lists none.

    A cluster entry's `name`, when given, stands for the cluster in these ids.
    """
    if env.aws is None:
        return []
    return [Target(env.aws, "ecs", f"{c.name}/{s}" if s else c.name, c, s)
            for c in env.aws.ecs for s in (c.services or (None,))]


def rds_instances(env: Environment) -> list[Target]:
    """One item per RDS instance."""
    return [Target(env.aws, "rds", i.name, i) for i in env.aws.rds] if env.aws else []


def rds_rpo(env: Environment) -> list[Target]:
    """The RDS instances with a restore lag limit (the RPO)."""
    return [t for t in rds_instances(env) if instance_of(t).max_restore_lag or instance_of(t).warn_max_restore_lag]


def caches(env: Environment) -> list[Target]:
    """One item per ElastiCache replication group or cache cluster."""
    return [Target(env.aws, "elasticache", name) for name in env.aws.elasticache] if env.aws else []


def alarms(env: Environment) -> list[Target]:
    """One item for the CloudWatch alarms, named by their prefix (`alarms` without one)."""
    if env.aws is None or env.aws.alarms is None:
        return []
    return [Target(env.aws, "cloudwatch", env.aws.alarms.prefix or "alarms", env.aws.alarms)]


def alarm_routes(env: Environment) -> list[Target]:
    """The alarms item again, where it names alarms that must exist or where alarms must notify."""
    return [t for t in alarms(env) if env.aws and env.aws.alarms and (env.aws.alarms.expect or env.aws.alarms.notify)]


def target_groups(env: Environment) -> list[Target]:
    """One item per load balancer target group."""
    return [Target(env.aws, "elbv2", name) for name in env.aws.target_groups] if env.aws else []


def security_groups(env: Environment) -> list[Target]:
    """One item for the security groups, named by their VPC (`security-groups` without one)."""
    if env.aws is None or env.aws.security_groups is None:
        return []
    spec = env.aws.security_groups
    return [Target(env.aws, "ec2", spec.vpc or "security-groups", spec)]


def unused_resources(env: Environment) -> list[Target]:
    """The review of unused resources (id `unused`), where `unused:` is given."""
    if env.aws is None or env.aws.unused is None:
        return []
    return [Target(env.aws, "ec2", "unused", env.aws.unused)]


def log_groups(env: Environment) -> list[Target]:
    """One item per CloudWatch log group or prefix, named by it."""
    return [Target(env.aws, "logs", g.name, g) for g in env.aws.log_groups] if env.aws else []


def images(env: Environment) -> list[Target]:
    """One item per ECR image, named repository:tag."""
    return [Target(env.aws, "ecr", i.name, i) for i in env.aws.ecr] if env.aws else []


def _iam(env: Environment, wanted: Callable[[Iam], object]) -> list[Target]:
    """The `iam` item (id `iam`) when its keys ask for this review."""
    if env.aws is None or env.aws.iam is None or not wanted(env.aws.iam):
        return []
    return [Target(env.aws, "iam", "iam", env.aws.iam)]


def iam_console(env: Environment) -> list[Target]:
    """The IAM review of console users without MFA (on unless `console_mfa: false`)."""
    return _iam(env, lambda iam: iam.console_mfa)


def iam_keys(env: Environment) -> list[Target]:
    """The IAM review of access key age, where a limit is set."""
    return _iam(env, lambda iam: iam.max_access_key_age or iam.warn_max_access_key_age)


def iam_admins(env: Environment) -> list[Target]:
    """The IAM review of administrators, where `approved_admins` is given (an empty list: no one)."""
    return _iam(env, lambda iam: iam.approved_admins is not None)


def cluster_of(target: Target) -> EcsCluster:
    """The ECS cluster entry of an ECS item."""
    return cast(EcsCluster, target.entry)


def instance_of(target: Target) -> RdsInstance:
    """The RDS instance entry of an RDS item."""
    return cast(RdsInstance, target.entry)


def client(target: Target) -> Any:
    """A boto3 client for the item's API: its region, profile and endpoint, its timeout on every call."""
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ProfileNotFound
    except ImportError:
        raise CheckError("aws: needs boto3: pip install 'opsverify[aws]'") from None
    seconds = float(timeout_of(target))
    # one retry: a call that hangs ends after two timeouts ("max_attempts": 2 would mean three tries)
    config = Config(connect_timeout=seconds, read_timeout=seconds, retries={"total_max_attempts": 2})
    try:
        session = boto3.Session(profile_name=target.aws.profile, region_name=target.aws.region)
    except ProfileNotFound:
        raise CheckError(f"AWS profile {target.aws.profile!r} is not in ~/.aws/config or ~/.aws/credentials") from None
    return session.client(target.api, endpoint_url=target.aws.endpoint_url, config=config)


@contextmanager
def answers(target: Target, missing: str | None = None) -> Iterator[None]:
    """AWS errors inside as readable causes: no credentials, denied calls; a not-found code raises Missing."""
    try:
        yield
    except Exception as exc:
        if type(exc).__name__ == "NoCredentialsError":
            raise CheckError("no AWS credentials found (environment variables, profile, or instance role)") from exc
        if not isinstance(getattr(exc, "response", None), dict):
            raise
        code, message = _error(exc.response)
        action = f"{IAM_PREFIX.get(target.api, target.api)}:{getattr(exc, 'operation_name', '?')}"
        if missing and "NotFound" in code:
            raise Missing(missing) from exc
        if code in _REJECTED:
            raise CheckError(f"AWS rejected the credentials ({code}): {message}") from exc
        if "AccessDenied" in code or code in _DENIED:
            raise CheckError(f"{action} denied: {message}") from exc
        raise CheckError(f"{action} failed: {code}: {message}") from exc


def error_code(exc: BaseException) -> str:
    """The AWS error code of an exception ('' when it is not an AWS error response)."""
    response = getattr(exc, "response", None)
    return str((response.get("Error") or {}).get("Code", "")) if isinstance(response, dict) else ""


def _error(response: dict[str, Any]) -> tuple[str, str]:
    """The error code and one-line message of an AWS error response (an unparsed XML body read too)."""
    error = response.get("Error") or {}
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if message.lstrip().startswith("<"):
        inner = dict(re.findall(r"<(Code|Message)>([^<]*)</\1>", message))
        code, message = inner.get("Code", code), inner.get("Message", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
    return code or f"HTTP {status}", trimmed(message, 300)


def aws_check(check: Callable[[Target], Result]) -> Callable[..., Result]:
    """A probe whose missing resource is a failure naming it."""

    @functools.wraps(check)
    def run(target: Target) -> Result:
        """The check; Missing becomes `failed`."""
        try:
            return check(target)
        except Missing as gone:
            return failed(str(gone))

    return probe(run)


def trimmed(text: str, limit: int = 120) -> str:
    """Text on one line, scrubbed of secrets, cut to `limit` characters with an ellipsis."""
    return shorten(" ".join(str(text).split()), limit)


def first_few(parts: list[str], shown: int = 5) -> str:
    """The first few of a list joined by "; ", and how many more there are."""
    more = f"; and {len(parts) - shown} more" if len(parts) > shown else ""
    return "; ".join(parts[:shown]) + more

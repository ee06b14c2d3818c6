"""How an AWS item reaches its API, and why a check could not look (an `error` with its real cause):
unreachable, silent, no or rejected credentials, a denied call, a profile, boto3 missing or never imported."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from opsverify.checks import aws
from opsverify.checks.aws import cloudwatch, cost, ec2, ecr, ecs, elasticache, elb, iam, logs, rds
from opsverify.result import Result, Status
from tests.aws.conftest import REGION, item
from tests.support.net import LOOPBACK, free_port

ROOT = Path(__file__).resolve().parents[2]
EVERY_CHECK: list[tuple[Callable[[aws.Target], Result], Any, dict[str, Any]]] = [
    (ecs.services, aws.ecs_services, {"ecs": [{"cluster": "shop-prod", "services": ["web"]}]}),
    (ecs.services, aws.ecs_services, {"ecs": [{"cluster": "shop-prod"}]}),
    (rds.available, aws.rds_instances, {"rds": [{"instance": "shop-db"}]}),
    (rds.backup_retention, aws.rds_instances, {"rds": [{"instance": "shop-db"}]}),
    (rds.restorable, aws.rds_rpo, {"rds": [{"instance": "shop-db", "max_restore_lag": "15m"}]}),
    (elasticache.available, aws.caches, {"elasticache": ["shop-redis"]}),
    (cloudwatch.alarms, aws.alarms, {"alarms": {"prefix": "shop-"}}),
    (elb.targets, aws.target_groups, {"target_groups": ["shop-web"]}),
    (ec2.open_to_internet, aws.security_groups, {"security_groups": {}}),
    (cost.unused, aws.unused_resources, {"unused": {}}),
    (logs.retention, aws.log_groups, {"log_groups": [{"group": "/ecs/shop", "min_days": 30}]}),
    (iam.console_mfa, aws.iam_console, {"iam": {}}),
    (iam.access_keys, aws.iam_keys, {"iam": {"max_access_key_age": "90d"}}),
    (iam.admins, aws.iam_admins, {"iam": {"approved_admins": []}}),
    (ecr.scan_findings, aws.images, {"ecr": [{"repository": "shop"}]}),
]
IDS = ["ecs-service", "ecs-cluster", "rds-available", "rds-retention", "rds-rpo", "elasticache", "alarms", "elb",
       "security-groups", "unused", "log-groups", "iam-mfa", "iam-keys", "iam-admins", "ecr"]


@pytest.mark.parametrize("check, items, section", EVERY_CHECK, ids=IDS)
def test_a_closed_port_is_an_error_at_once(check: Any, items: Any, section: dict[str, Any]) -> None:
    port = free_port()
    started = time.monotonic()
    result = check(item(items, f"http://{LOOPBACK}:{port}", timeout="3s", **section))
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on {LOOPBACK}:{port}")
    assert time.monotonic() - started < 3


def test_an_endpoint_that_never_answers_is_an_error_after_its_timeout(hanging_port: int) -> None:
    started = time.monotonic()
    result = rds.available(item(aws.rds_instances, f"http://{LOOPBACK}:{hanging_port}", timeout="1s",
                                rds=[{"instance": "shop-db"}]))
    took = time.monotonic() - started
    assert (result.status, result.reason) == (Status.ERROR, "no answer within 1s")
    assert 1 <= took < 4, f"one retry of a 1s call took {took:.1f}s"


def test_no_credentials_is_an_error_saying_so(monkeypatch: pytest.MonkeyPatch, account: str) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = elb.targets(item(aws.target_groups, account, target_groups=["shop-web"]))
    assert (result.status, result.reason) == (
        Status.ERROR, "no AWS credentials found (environment variables, profile, or instance role)")


def test_a_denied_call_is_named(strict_moto: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, keys = strict_moto
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    result = elb.targets(item(aws.target_groups, endpoint, target_groups=["shop-web"]))
    assert result.status is Status.ERROR
    assert result.reason == ("elasticloadbalancing:DescribeTargetGroups denied: User: arn:aws:iam::123456789012:"
                             "user/readonly is not authorized to perform: elasticloadbalancing:DescribeTargetGroups")
    result = cloudwatch.alarms(item(aws.alarms, endpoint, alarms={}))
    assert result.status is Status.ERROR
    assert result.reason.startswith("cloudwatch:DescribeAlarms denied: User: arn:aws:iam::123456789012:user/readonly")
    for check, items, section, action in (
            (ec2.open_to_internet, aws.security_groups, {"security_groups": {}}, "ec2:DescribeSecurityGroups"),
            (cost.unused, aws.unused_resources, {"unused": {}}, "ec2:DescribeVolumes"),
            (iam.admins, aws.iam_admins, {"iam": {"approved_admins": []}}, "iam:GetAccountAuthorizationDetails")):
        denied = check(item(items, endpoint, **section))
        assert (denied.status, denied.reason) == (Status.ERROR, f"{action} denied: User: arn:aws:iam::123456789012:"
                                                                f"user/readonly is not authorized to perform: {action}")
    allowed = rds.available(item(aws.rds_instances, endpoint, rds=[{"instance": "shop-db"}]))
    assert (allowed.status, allowed.reason) == (Status.FAILED, "RDS instance shop-db does not exist")
    assert keys["AWS_SECRET_ACCESS_KEY"] not in repr([result, allowed])


def test_rejected_credentials_are_an_error_saying_so(strict_moto: tuple[str, dict[str, str]]) -> None:
    endpoint, _ = strict_moto
    result = rds.available(item(aws.rds_instances, endpoint, rds=[{"instance": "shop-db"}]))
    assert result.status is Status.ERROR
    assert result.reason == ("AWS rejected the credentials (InvalidClientTokenId): "
                             "The security token included in the request is invalid.")


def test_a_profile_from_the_config_file_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  boto: Callable[[str], Any], account: str) -> None:
    boto("elasticache").create_cache_cluster(CacheClusterId="shop-redis", Engine="redis",
                                             CacheNodeType="cache.t3.micro", NumCacheNodes=1)
    config = tmp_path / "config"
    config.write_text(f"[profile shop-readonly]\nregion = {REGION}\naws_access_key_id = profilekey\n"
                      "aws_secret_access_key = profilesecret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = elasticache.available(item(aws.caches, account, profile="shop-readonly", elasticache=["shop-redis"]))
    assert result.status is Status.PASSED, result.reason
    result = elasticache.available(item(aws.caches, account, profile="shop-admin", elasticache=["shop-redis"]))
    assert (result.status, result.reason) == (
        Status.ERROR, "AWS profile 'shop-admin' is not in ~/.aws/config or ~/.aws/credentials")


def test_without_boto3_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    result = rds.available(item(aws.rds_instances, None, rds=[{"instance": "shop-db"}]))
    assert (result.status, result.reason) == (Status.ERROR, "aws: needs boto3: pip install 'opsverify[aws]'")


def test_the_checklist_imports_boto3_only_for_aws_checks() -> None:
    code = ("import sys; import verify.test_aws; from opsverify.checks import aws; "
            "print('boto3' in sys.modules, 'botocore' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_aws_endpoint_url_is_honoured_without_endpoint_url(monkeypatch: pytest.MonkeyPatch, account: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", account)
    result = rds.available(item(aws.rds_instances, None, rds=[{"instance": "shop-db"}]))
    assert (result.status, result.reason) == (Status.FAILED, "RDS instance shop-db does not exist")

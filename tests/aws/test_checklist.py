"""The real checklist (`pytest -m daily` in a subprocess) against an `aws:` section on moto: one fault, one failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml

from tests.aws.conftest import KEY_ID, REGION, SECRET_KEY
from tests.aws.test_ecr import MANIFEST
from tests.plugin.conftest import run_checklist

TESTS = {"test_ecs_services_at_desired_count": ["shop-prod/web", "shop-prod/worker"],
         "test_rds_available": ["shop-db"], "test_rds_backup_retention": ["shop-db"],
         "test_rds_restorable_within_rpo": ["shop-db"], "test_elasticache_available": ["shop-redis"],
         "test_cloudwatch_alarms_ok": ["shop-"], "test_alb_targets_healthy": ["shop-web"],
         "test_metric_within_bounds": ["shop-5xx-24h"], "test_security_groups_closed": ["security-groups"],
         "test_aws_unused_resources": ["unused"], "test_log_group_retention": ["/ecs/shop"]}


def shop(boto: Callable[[str], Any]) -> None:
    """A healthy shop on moto, except that ECS service `worker` runs none of its two tasks."""
    ecs = boto("ecs")
    ecs.create_cluster(clusterName="shop-prod")
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "app", "memory": 128}])
    ecs.create_service(cluster="shop-prod", serviceName="web", taskDefinition="app", desiredCount=2)
    ecs.update_service(cluster="shop-prod", service="web", desiredCount=2)
    ecs.create_service(cluster="shop-prod", serviceName="worker", taskDefinition="app", desiredCount=2)
    boto("rds").create_db_instance(DBInstanceIdentifier="shop-db", DBInstanceClass="db.t3.micro", Engine="mysql",
                                   MasterUsername="app", MasterUserPassword="not-a-real-password",
                                   AllocatedStorage=20, BackupRetentionPeriod=7)
    boto("elasticache").create_cache_cluster(CacheClusterId="shop-redis", Engine="redis",
                                             CacheNodeType="cache.t3.micro", NumCacheNodes=1)
    boto("cloudwatch").put_metric_alarm(AlarmName="shop-5xx", MetricName="5xx", Namespace="Shop", Statistic="Sum",
                                        Period=60, EvaluationPeriods=1, Threshold=1,
                                        ComparisonOperator="GreaterThanThreshold")
    boto("cloudwatch").set_alarm_state(AlarmName="shop-5xx", StateValue="OK", StateReason="fine")
    boto("cloudwatch").put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "5xx", "Value": 3}])
    ec2, elb = boto("ec2"), boto("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = elb.create_target_group(Name="shop-web", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    elb.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": instance, "Port": 80}])
    web = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    boto("logs").create_log_group(logGroupName="/ecs/shop")
    boto("logs").put_retention_policy(logGroupName="/ecs/shop", retentionInDays=30)


def test_the_checklist_fails_only_the_broken_service(boto: Callable[[str], Any], account: str, tmp_path: Path) -> None:
    shop(boto)
    aws = {"region": REGION, "endpoint_url": account, "timeout": "5s",
           "ecs": [{"cluster": "shop-prod", "services": ["web", "worker"]}],
           "rds": [{"instance": "shop-db", "min_backup_retention": 7, "max_restore_lag": "15m"}],
           "elasticache": ["shop-redis"], "alarms": {"prefix": "shop-"}, "target_groups": ["shop-web"],
           "security_groups": {}, "unused": {}, "log_groups": [{"group": "/ecs/shop", "min_days": 30}]}
    path = tmp_path / "shop.yml"
    metric = {"name": "shop-5xx-24h", "max": 50,
              "cloudwatch": {"namespace": "Shop", "metric": "5xx", "statistic": "Sum", "window": "24h"}}
    path.write_text(yaml.safe_dump({"environment": "shop", "aws": aws, "metrics": [metric]}))
    run = run_checklist(tmp_path / "reports", "-m", "daily", f"--env={path}")
    outcomes = {(c["test"], c["item"]): c["outcome"] for c in run.record["checks"]}
    assert outcomes == {(test, name): "failed" if name == "shop-prod/worker" else "passed"
                        for test, names in TESTS.items() for name in names}, run.out
    worker = run.check("test_ecs_services_at_desired_count", "shop-prod/worker")
    assert worker["reason"] == "ECS service shop-prod/worker runs 0 of 2 desired tasks (2 pending)"
    assert (worker["area"], worker["cadence"]) == ("health", "daily")
    assert run.check("test_rds_backup_retention", "shop-db")["area"] == "backup"
    assert run.check("test_aws_unused_resources", "unused")["area"] == "host"
    assert run.code == 1
    for written in run.run_dir.iterdir():
        if written.is_file():
            text = written.read_text(errors="replace")
            assert KEY_ID not in text and SECRET_KEY not in text, written.name


def test_the_weekly_and_monthly_reviews_fail_only_the_user_without_mfa(boto: Callable[[str], Any], account: str,
                                                                       tmp_path: Path) -> None:
    iam, ecr = boto("iam"), boto("ecr")
    for user in ("ci-deploy", "carol"):
        iam.create_user(UserName=user)
    iam.create_access_key(UserName="ci-deploy")
    iam.create_login_profile(UserName="carol", Password="Not-a-real-password-1")
    ecr.create_repository(repositoryName="shop")
    ecr.put_image(repositoryName="shop", imageManifest=MANIFEST, imageTag="v1")
    ecr.start_image_scan(repositoryName="shop", imageId={"imageTag": "v1"})  # moto's one HIGH finding
    aws = {"region": REGION, "endpoint_url": account, "timeout": "5s", "ecr": [{"repository": "shop", "tag": "v1",
                                                                                 "max_severity": "high"}],
           "iam": {"max_access_key_age": "90d", "approved_admins": []}}
    path = tmp_path / "shop.yml"
    path.write_text(yaml.safe_dump({"environment": "shop", "aws": aws}))
    run = run_checklist(tmp_path / "reports", "-m", "weekly or monthly", f"--env={path}")
    outcomes = {(c["test"], c["item"], c["cadence"]): c["outcome"] for c in run.record["checks"]}
    assert outcomes == {("test_iam_console_users_have_mfa", "iam", "monthly"): "failed",
                        ("test_iam_access_keys_rotated", "iam", "monthly"): "passed",
                        ("test_iam_admins_approved", "iam", "monthly"): "passed",
                        ("test_ecr_image_scan_findings", "shop:v1", "weekly"): "passed"}, run.out
    mfa = run.check("test_iam_console_users_have_mfa", "iam")
    assert (mfa["reason"], mfa["area"]) == ("IAM users with a console password and no MFA device: carol", "security")
    assert run.check("test_iam_admins_approved", "iam")["area"] == "compliance"

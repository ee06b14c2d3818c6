"""AWS: ECS, RDS and its backups, ElastiCache, CloudWatch alarms, load balancer targets, security groups,
log retention, IAM users, ECR image scans and unused resources."""

from opsverify.checks import aws
from opsverify.plugin import check, expect


@check("aws.ecs.services", over=aws.ecs_services, area="health")
def test_ecs_services_at_desired_count(result):
    expect(result)


@check("aws.rds.available", over=aws.rds_instances, area="database")
def test_rds_available(result):
    expect(result)


@check("aws.rds.backup_retention", over=aws.rds_instances, area="backup")
def test_rds_backup_retention(result):
    expect(result)


@check("aws.rds.restorable", over=aws.rds_rpo, area="backup")
def test_rds_restorable_within_rpo(result):
    expect(result)


@check("aws.elasticache.available", over=aws.caches, area="database")
def test_elasticache_available(result):
    expect(result)


@check("aws.cloudwatch.alarms", over=aws.alarms, area="health")
def test_cloudwatch_alarms_ok(result):
    expect(result)


@check("aws.routing.routed", over=aws.alarm_routes, area="health")
def test_cloudwatch_alarms_notify(result):
    expect(result)


@check("aws.elb.targets", over=aws.target_groups, area="health")
def test_alb_targets_healthy(result):
    expect(result)


@check("aws.ec2.open_to_internet", over=aws.security_groups, area="security")
def test_security_groups_closed(result):
    expect(result)


@check("aws.cost.unused", over=aws.unused_resources, area="host")
def test_aws_unused_resources(result):
    expect(result)


@check("aws.logs.retention", over=aws.log_groups, area="compliance")
def test_log_group_retention(result):
    expect(result)


@check("aws.iam.console_mfa", over=aws.iam_console, cadence="monthly", area="security")
def test_iam_console_users_have_mfa(result):
    expect(result)


@check("aws.iam.access_keys", over=aws.iam_keys, cadence="monthly", area="security")
def test_iam_access_keys_rotated(result):
    expect(result)


@check("aws.iam.admins", over=aws.iam_admins, cadence="monthly", area="compliance")
def test_iam_admins_approved(result):
    expect(result)


@check("aws.ecr.scan_findings", over=aws.images, cadence="weekly", area="security")
def test_ecr_image_scan_findings(result):
    expect(result)

"""AWS: ECS services, RDS instances and their backups, ElastiCache, CloudWatch alarms, load balancer targets."""

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


@check("aws.elb.targets", over=aws.target_groups, area="health")
def test_alb_targets_healthy(result):
    expect(result)

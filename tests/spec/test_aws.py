"""The `aws:` section: the documented example loads, nested entries inherit, and mistakes name their key."""

from __future__ import annotations

from opsverify.checks import aws
from tests.spec.helpers import at, ok, one

EXAMPLE = """\
    environment: prod
    aws:
      region: eu-west-1
      profile: shop-readonly
      endpoint_url: http://127.0.0.1:5000
      severity: P1
      timeout: 5s
      tags: [smoke]
      ecs:
        - cluster: shop-prod
          services: [web, worker]
        - {cluster: batch, cadence: weekly, timeout: 30s}
      rds:
        - instance: shop-db
          min_backup_retention: 7
          max_restore_lag: 15m
        - {instance: shop-replica, severity: P3}
      elasticache: [shop-redis]
      alarms:
        prefix: shop-
        ignore: [shop-dev-canary]
      target_groups: [shop-web]
    """


def test_the_documented_example_loads_into_items() -> None:
    env = ok(EXAMPLE)
    assert env.aws.rds[0].max_restore_lag == 900 and str(env.aws.rds[0].max_restore_lag) == "15m"
    assert [t.name for t in aws.ecs_services(env)] == ["shop-prod/web", "shop-prod/worker", "batch"]
    assert [t.name for t in aws.rds_instances(env)] == ["shop-db", "shop-replica"]
    assert [t.name for t in aws.rds_rpo(env)] == ["shop-db"]
    assert [t.name for t in aws.caches(env) + aws.alarms(env) + aws.target_groups(env)] == [
        "shop-redis", "shop-", "shop-web"]


def test_entries_inherit_from_the_section() -> None:
    env = ok(EXAMPLE)
    web, _, batch = aws.ecs_services(env)
    db, replica = aws.rds_instances(env)
    assert (web.severity, str(web.timeout), web.cadence, web.smoke) == ("P1", "5s", None, True)
    assert (str(batch.timeout), batch.cadence) == ("30s", "weekly")
    assert (db.severity, replica.severity) == ("P1", "P3")
    (cache,) = aws.caches(env)
    assert (cache.severity, str(cache.timeout), cache.url) == ("P1", "5s", "http://127.0.0.1:5000")


def test_the_endpoint_defaults_to_the_region() -> None:
    env = ok("environment: x\naws: {region: us-east-1, alarms: {}, target_groups: [web]}\n")
    assert [t.url for t in aws.alarms(env) + aws.target_groups(env)] == [
        "https://monitoring.us-east-1.amazonaws.com", "https://elasticloadbalancing.us-east-1.amazonaws.com"]
    assert aws.alarms(env)[0].name == "alarms"


def test_mistakes_name_their_key() -> None:
    at(one("environment: x\naws: {elasticache: [r]}\n"), 2, "aws.region", "required")
    at(one("environment: x\naws: {region: europe}\n"), 2, "aws.region", "write it like eu-west-1")
    at(one("environment: x\naws: {region: eu-west-1, endpoint_url: localhost:5000}\n"), 2, "aws.endpoint_url",
       "not an http:// or https:// URL")
    at(one("environment: x\naws:\n  region: eu-west-1\n  target_group: [web]\n"), 4, "aws.target_group",
       "target_groups")
    at(one("environment: x\naws:\n  region: eu-west-1\n  rds: [{instance: db, min_backup_retention: -1}]\n"), 4,
       "aws.rds[0].min_backup_retention")


def test_names_listed_twice_are_errors() -> None:
    assert "'web' is listed twice" in one("environment: x\naws: {region: eu-west-1, target_groups: [web, web]}\n"
                                          ).message
    assert "cluster 'c' is listed twice" in one(
        "environment: x\naws: {region: eu-west-1, ecs: [{cluster: c}, {cluster: c, services: [a]}]}\n").message
    assert "instance 'db' is listed twice" in one(
        "environment: x\naws: {region: eu-west-1, rds: [{instance: db}, {instance: db}]}\n").message
    assert "'a' is listed twice" in one(
        "environment: x\naws: {region: eu-west-1, ecs: [{cluster: c, services: [a, a]}]}\n").message


REVIEWS = """\
    environment: prod
    aws:
      region: us-east-1
      security_groups: {vpc: vpc-0abc12345, public_ports: [443]}
      log_groups:
        - {group: /ecs/production/application, min_days: 30}
        - {prefix: /ecs/production/security, min_days: 90, warn_min_days: 120, severity: P1}
      iam:
        max_access_key_age: 90d
        approved_admins: [alice]
        cadence: quarterly
      ecr:
        - {repository: team/solemate-backend, max_severity: high}
        - {repository: solemate-backend, tag: v1.4.2}
    """


def test_the_review_keys_load_into_items() -> None:
    env = ok(REVIEWS)
    (groups,) = aws.security_groups(env)
    assert (groups.name, groups.url, env.aws.security_groups.public_ports) == (
        "vpc-0abc12345", "https://ec2.us-east-1.amazonaws.com", (443,))
    assert [(t.name, t.severity) for t in aws.log_groups(env)] == [("/ecs/production/application", "P2"),
                                                                    ("/ecs/production/security", "P1")]
    assert [(t.name, t.cadence) for t in aws.iam_console(env) + aws.iam_keys(env) + aws.iam_admins(env)] == [
        ("iam", "quarterly")] * 3
    assert str(env.aws.iam.max_access_key_age) == "90d"
    assert [(t.name, t.url) for t in aws.images(env)] == [
        ("team/solemate-backend:latest", "https://api.ecr.us-east-1.amazonaws.com"),
        ("solemate-backend:v1.4.2", "https://api.ecr.us-east-1.amazonaws.com")]


def test_review_mistakes_name_their_key() -> None:
    head = "environment: x\naws:\n  region: eu-west-1\n"
    at(one(head + "  security_groups: {groups: [web]}\n"), 4, "aws.security_groups.groups[0]",
       "'web' is not a security group id; write it like sg-0abc12345")
    at(one(head + "  security_groups: {vpc: vpc-main}\n"), 4, "aws.security_groups.vpc", "not a VPC id")
    at(one(head + "  security_groups: {public_ports: [0]}\n"), 4, "aws.security_groups.public_ports[0]")
    at(one(head + "  log_groups: [{group: /a, prefix: /b, min_days: 7}]\n"), 4, "aws.log_groups[0]",
       "give either group (one log group's name) or prefix")
    at(one(head + "  log_groups: [{group: /a}]\n"), 4, "aws.log_groups[0].min_days", "required")
    at(one(head + "  iam: {max_access_key_age: 90 days}\n"), 4, "aws.iam.max_access_key_age")
    at(one(head + "  iam: {approved_admin: [alice]}\n"), 4, "aws.iam.approved_admin", "approved_admins")
    at(one(head + "  ecr: [{repository: Shop}]\n"), 4, "aws.ecr[0].repository", "not an ECR repository name")
    at(one(head + "  ecr: [{repository: shop, max_severity: severe}]\n"), 4, "aws.ecr[0].max_severity")
    assert "'/a' is listed twice" in one(head + "  log_groups: [{group: /a, min_days: 1}, {prefix: /a, min_days: 2}]\n"
                                         ).message
    twice = one(head + "  ecr: [{repository: shop}, {repository: shop, tag: latest}]\n")
    assert "'shop:latest' is listed twice" in twice.message


def test_unused_loads_with_defaults_and_names_its_mistakes() -> None:
    head = "environment: x\naws:\n  region: eu-west-1\n"
    env = ok(head + "  unused: {}\n")
    (review,) = aws.unused_resources(env)
    assert (review.name, review.url, review.cadence) == ("unused", "https://ec2.eu-west-1.amazonaws.com", None)
    assert (env.aws.unused.max, env.aws.unused.warn_max, str(env.aws.unused.min_age)) == (0, None, "7d")
    env = ok(head + "  unused: {max: 2, ignore: [vol-0abc, spare-alb], min_age: 30d, cadence: weekly}\n")
    assert (env.aws.unused.min_age, aws.unused_resources(env)[0].cadence) == (30 * 86400, "weekly")
    assert aws.unused_resources(ok(head)) == []
    at(one(head + "  unused: {max: -1}\n"), 4, "aws.unused.max")
    at(one(head + "  unused: {min_age: 7 days}\n"), 4, "aws.unused.min_age")
    at(one(head + "  unused: {ignored: [vol-0abc]}\n"), 4, "aws.unused.ignored", "ignore")

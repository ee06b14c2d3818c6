"""Alarm routing against moto: expected alarms exist, actions on, SNS topics with confirmed subscriptions."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from opsverify.checks import aws
from opsverify.checks.aws.routing import routed
from opsverify.result import Status
from tests.aws.conftest import item

ROUTES = [{"protocol": "email"}, {"protocol": "sms", "alarms": ["shop-payments"]}]


@pytest.fixture
def alarms(boto: Callable[[str], Any]) -> dict[str, str]:
    """Two alarms under shop-: both notify a topic with an e-mail subscription, payments also one with SMS."""
    sns, cloudwatch = boto("sns"), boto("cloudwatch")
    topics = {name: sns.create_topic(Name=f"shop-{name}")["TopicArn"] for name in ("ops", "pager")}
    sns.subscribe(TopicArn=topics["ops"], Protocol="email", Endpoint="ops@example.com")
    sns.subscribe(TopicArn=topics["pager"], Protocol="sms", Endpoint="+15555550100")
    for name, actions in (("shop-5xx", [topics["ops"]]), ("shop-payments", [topics["ops"], topics["pager"]])):
        cloudwatch.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="Shop", Statistic="Sum", Period=60,
                                    EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                                    AlarmActions=actions, ActionsEnabled=True)
    return topics


def check(endpoint: str, **keys: Any) -> Any:
    """The routing check over an `alarms:` section with these keys."""
    return routed(item(aws.alarm_routes, endpoint, alarms={"prefix": "shop-", **keys}))


def test_alarms_that_reach_their_channels_pass(alarms: dict[str, str], account: str) -> None:
    result = check(account, expect=["shop-payments"], notify=ROUTES)
    assert (result.status, result.reason) == (Status.PASSED, "every expected alarm exists (shop-payments); 3 alarm notifications "
                                                             "(email, sms) reach a confirmed subscription with actions "
                                                             "enabled")


def test_a_missing_alarm_disabled_actions_and_a_lost_subscription_fail(
        alarms: dict[str, str], boto: Callable[[str], Any], account: str) -> None:
    sns, cloudwatch = boto("sns"), boto("cloudwatch")
    cloudwatch.disable_alarm_actions(AlarmNames=["shop-5xx"])
    for sub in sns.list_subscriptions_by_topic(TopicArn=alarms["pager"])["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])  # the on-call phone number was removed
    result = check(account, expect=["shop-payments", "shop-site-down"], notify=ROUTES)
    assert result.status is Status.FAILED
    assert result.reason == ("3 alarm routing problems: no alarm named shop-site-down; shop-5xx has its actions "
                             "disabled; shop-payments does not notify by sms (its actions reach email)")


def test_an_alarm_whose_actions_reach_nothing_fails(boto: Callable[[str], Any], account: str) -> None:
    boto("cloudwatch").put_metric_alarm(AlarmName="shop-cpu", MetricName="CPU", Namespace="Shop", Statistic="Average",
                                        Period=60, EvaluationPeriods=1, Threshold=80,
                                        ComparisonOperator="GreaterThanThreshold", ActionsEnabled=True)
    result = check(account, notify=[{"protocol": "email"}])
    assert (result.status, result.reason) == (Status.FAILED, "1 alarm routing problem: shop-cpu does not notify by "
                                                             "email (its actions reach no confirmed SNS subscription)")


def test_only_sections_that_ask_for_it_get_the_check(account: str) -> None:
    from tests.aws.conftest import environment
    assert aws.alarm_routes(environment(account, alarms={"prefix": "shop-"})) == []

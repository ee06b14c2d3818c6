"""Metrics: business and compliance numbers from SQL or PromQL, within their bounds."""

from opsverify.plugin import check, expect


@check("metrics.value", over="metrics", area="health")
def test_metric_within_bounds(result):
    expect(result)

"""Performance: the quarterly Locust benchmarks of the loadtests section, gated on its SLA."""

from opsverify.load import check as load
from opsverify.plugin import check, expect


@check("opsverify.load.check:load_profile", over=load.runs, cadence="quarterly", area="performance", window=True)
def test_load_profile(result):
    expect(result)

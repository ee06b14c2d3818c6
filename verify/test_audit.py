"""The audit trail itself: every scheduled cadence ran when it was due (a missed run is a gap in the record)."""

from opsverify.plugin import check, expect
from opsverify.schedule import overdue


@check("opsverify.schedule.overdue:on_schedule", over=overdue.cadences, area="compliance")
def test_cadence_ran_on_schedule(result):
    expect(result)

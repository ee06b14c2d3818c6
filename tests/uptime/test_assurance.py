"""No false assurance in the uptime judge: a watcher that stopped leaves stale samples, which are an `error`,
never a day of 100 %."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from opsverify.result import Status
from tests.uptime.helpers import NOW, minutes
from tests.uptime.test_judge import judge


def test_a_watcher_that_stopped_a_day_ago_cannot_vouch_for_today(tmp_path: Path) -> None:
    minutes(tmp_path, 1440)  # a full day, all up, that ended a day before the check
    result = judge(tmp_path, NOW + dt.timedelta(days=1), min="99.9%", over="24h")
    assert result.status is Status.ERROR
    assert result.reason.startswith("only 0 of 1440 expected samples")

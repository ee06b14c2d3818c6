"""Size: the newest backup is at least `min_size` and did not shrink more than `max_shrink`."""

from __future__ import annotations

import statistics

from opsverify.checks import combine, show_size
from opsverify.checks.backup.files import backup_check, listing
from opsverify.context import RunContext
from opsverify.result import Result, grade, skipped
from opsverify.spec.models.backups import Backup
from opsverify.spec.units import Ratio

PREVIOUS = 5  # the newest is compared with the median of this many backups before it


@backup_check
def size(backup: Backup, *, context: RunContext | None = None) -> Result:
    """min_size / warn_min_size on the newest file; max_shrink / warn_max_shrink against the previous few."""
    store, files = listing(backup, context)
    newest, previous = files[0], files[1:1 + PREVIOUS]
    evidence = {"newest": newest.path, "bytes": newest.size, "previous_bytes": [f.size for f in previous]}
    results = []
    if backup.min_size is not None or backup.warn_min_size is not None:
        results.append(grade(f"newest backup {newest.name}{store.where}", newest.size, backup.min_size,
                             backup.warn_min_size, show=show_size, unit="B", higher_is_worse=False))
    if backup.max_shrink is not None or backup.warn_max_shrink is not None:
        if previous:
            median = statistics.median(f.size for f in previous)
            shrink = Ratio(max(0.0, 1 - newest.size / median) if median else 0.0)
            what = (f"shrink of {newest.name} ({show_size(newest.size)}) against the median of the previous "
                    f"{len(previous)} ({show_size(median)})")
            results.append(grade(what, shrink, backup.max_shrink, backup.warn_max_shrink, show=str, unit="ratio"))
            evidence["shrink"] = round(shrink, 4)
        else:
            results.append(skipped(f"{newest.name} is the only backup: no earlier one to compare its size with"))
    if not results:
        return skipped("neither min_size nor max_shrink is set")
    return combine(results, **evidence)

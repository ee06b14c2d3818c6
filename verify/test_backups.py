"""Backups: fresh, big enough, checksummed, whole, logged, kept as the policy says, and restorable."""

from opsverify.plugin import check, expect


def _sized(env):
    """Backup sets with a size limit (min_size, max_shrink or their warn_ twins)."""
    return [b for b in env.backups if {b.min_size, b.warn_min_size, b.max_shrink, b.warn_max_shrink} != {None}]


@check("backup.freshness.freshness", over="backups", area="backup")
def test_backup_is_fresh(result):
    expect(result)


@check("backup.size.size", over=_sized, area="backup")
def test_backup_size(result):
    expect(result)


@check("backup.checksum.checksum", over=lambda env: [b for b in env.backups if b.checksum == "sidecar"], area="backup")
def test_backup_checksum(result):
    expect(result)


@check("backup.integrity.integrity", over="backups", area="backup")
def test_backup_integrity(result):
    expect(result)


@check("backup.joblog.job_log", over=lambda env: [b for b in env.backups if b.log], area="backup")
def test_backup_job_log(result):
    expect(result)


@check("backup.retention.retention", over=lambda env: [b for b in env.backups if b.retention], cadence="weekly",
       area="backup")
def test_backup_retention(result):
    expect(result)


@check("backup.changes.before_release", over=lambda env: [b for b in env.backups if b.before_release],
       area="backup", gate=True)
def test_backup_before_release(result):
    expect(result)


@check("backup.changes.after_change", over=lambda env: [b for b in env.backups if b.after_change], area="backup")
def test_backup_after_change(result):
    expect(result)


@check("backup.copies.copy_in_step", over=lambda env: [b for b in env.backups if b.copies], area="backup")
def test_backup_copy_in_step(result):
    expect(result)


@check("backup.restore.restore_drill", over=lambda env: [b for b in env.backups if b.restore], cadence="weekly",
       area="backup", window=True)
def test_backup_restores(result):
    expect(result)

"""Tests of the backup checks: freshness, size, checksum, integrity, the job log, retention, restore drills."""

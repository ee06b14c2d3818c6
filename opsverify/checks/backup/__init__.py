"""Backup sets: freshness, size, checksum, integrity, the job's log, retention and the restore drill.

Each module holds one check (a plain function over a `Backup` item); `files` reaches the backups
wherever they live: the local machine, a host from `hosts:` (through testinfra) or S3.
"""

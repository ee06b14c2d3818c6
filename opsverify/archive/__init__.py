"""The auditable record: run folders, the hash-chained manifest, and its verification."""

from __future__ import annotations

from opsverify.archive.manifest import ManifestError, append, archive_key
from opsverify.archive.runs import new_run_folder, run_label
from opsverify.archive.verify import Verification, format_verification, verify

__all__ = [
    "ManifestError", "Verification", "append", "archive_key", "format_verification",
    "new_run_folder", "run_label", "verify",
]

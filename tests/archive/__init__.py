"""Tests of the archive: run folders, the hash-chained manifest and verify."""

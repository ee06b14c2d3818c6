"""Tests of the metrics checks."""

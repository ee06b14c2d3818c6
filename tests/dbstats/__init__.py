"""Tests of the dbstats checks."""

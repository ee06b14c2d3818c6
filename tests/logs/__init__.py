"""Tests of the logs checks."""

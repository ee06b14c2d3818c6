"""Tests of the hosts checks."""

"""Tests of the health check families against real servers on loopback."""

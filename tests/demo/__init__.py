"""Tests of the built-in demo app."""

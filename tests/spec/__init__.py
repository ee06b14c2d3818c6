"""Tests of the environment file: units, YAML with lines, ${VAR}, validation, defaults, secrets."""

from __future__ import annotations

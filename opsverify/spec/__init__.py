"""The environment file: units, typed models, loading with line numbers, ${VAR}, friendly errors."""

from __future__ import annotations

from opsverify.spec.errors import Problem, SpecError
from opsverify.spec.loader import load, loads
from opsverify.spec.models.environment import Environment
from opsverify.spec.summary import summary

__all__ = ["Environment", "Problem", "SpecError", "load", "loads", "summary"]

"""Typed models of every section of the environment file."""

from __future__ import annotations

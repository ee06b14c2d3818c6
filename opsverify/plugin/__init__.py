"""The pytest plugin: options, markers, parametrization from the environment, reports.

Verify tests use two names from here: `check` to mark a test, `expect` to judge its result.
"""

from opsverify.plugin.outcome import expect
from opsverify.plugin.params import check

__all__ = ["check", "expect"]

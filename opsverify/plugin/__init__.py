"""The pytest plugin: options, markers, parametrization from the environment, reports.

Verify tests use three names from here: `check` to mark a test, `having` to pick the items that set a
limit, `expect` to judge the result.
"""

from opsverify.plugin.outcome import expect
from opsverify.plugin.params import check, having

__all__ = ["check", "expect", "having"]

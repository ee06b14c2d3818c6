"""Fixtures for the log checks: a real sshd (logs read through testinfra's ssh backend) and the demo."""

from tests.plugin.conftest import broken_demo, reports  # noqa: F401 - fixtures
from tests.support.sshd import sshd  # noqa: F401 - fixture

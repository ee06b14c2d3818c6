"""Fixtures for the host checks: a real sshd on loopback (the ssh:// target) and host items."""

from tests.support.sshd import sshd, target  # noqa: F401 - fixtures

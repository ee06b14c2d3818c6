"""The demo fixtures of the checklist tests."""

from tests.plugin.conftest import broken_demo, reports  # noqa: F401 - fixtures

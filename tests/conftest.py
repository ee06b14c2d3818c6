"""Shared helpers for the project's own tests."""

from collections.abc import Iterator

import pytest

from opsverify.spec import secret

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True, scope="module")
def _secrets_of_this_module() -> Iterator[None]:
    """The secret registry as each test module found it: a login one module registers ("ops@example.com",
    "1234") never masks the text another module asserts on, as one run's environment never sees another's."""
    with secret._lock:
        kept = set(secret._known)
    yield
    with secret._lock:
        secret._known.clear()
        secret._known.update(kept)
        secret._forms = tuple(kept)

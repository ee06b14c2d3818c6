"""Starting a command on a host: a spawn that fails for a passing reason is tried again; others are not."""

from __future__ import annotations

import errno

import pytest

from opsverify.checks.host import TRIES, machine, steady
from opsverify.spec.models.hosts import Host


class Flaky:
    """A process starter that fails with `code` the first `failures` times, then runs `echo ok` for real."""

    def __init__(self, code: int, failures: int) -> None:
        self.code, self.failures, self.calls = code, failures, 0
        self.real = machine(Host(name="local", target="local://")).backend.run_local

    def __call__(self, command: str):
        self.calls += 1
        if self.calls <= self.failures:
            raise OSError(self.code, "spawn failed")
        return self.real(command)


@pytest.mark.parametrize("code", [errno.EFAULT, errno.EAGAIN, errno.ENOMEM])
def test_a_passing_spawn_failure_is_tried_again(code: int) -> None:
    start = Flaky(code, failures=TRIES - 1)
    assert steady(start)("echo ok").stdout == "ok\n"
    assert start.calls == TRIES


def test_a_spawn_that_keeps_failing_raises_its_error_after_the_last_try() -> None:
    start = Flaky(errno.EFAULT, failures=TRIES)
    with pytest.raises(OSError) as raised:
        steady(start)("echo ok")
    assert raised.value.errno == errno.EFAULT and start.calls == TRIES


def test_other_errors_are_not_tried_again() -> None:
    start = Flaky(errno.ENOENT, failures=1)
    with pytest.raises(OSError):
        steady(start)("echo ok")
    assert start.calls == 1


def test_the_host_backend_is_wrapped_once() -> None:
    host = Host(name="local", target="local://")
    first = machine(host).backend.run_local
    assert machine(host).backend.run_local is first and first.__wrapped__.__name__ == "run_local"

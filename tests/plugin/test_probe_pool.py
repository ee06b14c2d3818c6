"""The probe pool answers each test by its check's deadline, even when the check itself never ends."""

from __future__ import annotations

import socket
import threading
import time

from opsverify.checks import timeout_of
from opsverify.checks.deadline import GRACE, budget
from opsverify.plugin.probes import ProbePool
from opsverify.result import Result, Status, passed
from opsverify.spec.models.health import Smtp
from tests.support.fixtures import hanging_port  # noqa: F401 - fixture
from tests.support.items import item
from tests.support.net import LOOPBACK


@budget(timeout_of)
def stuck(smtp: Smtp) -> Result:
    """A check that reads without any timeout from a server that never answers: it never ends by itself."""
    with socket.create_connection((smtp.host, smtp.port)) as sock:
        sock.recv(1)
    return passed("the server finally spoke")


@budget(timeout_of)
def quick(smtp: Smtp) -> Result:
    """A check that ends at once."""
    return passed("fine")


def test_a_check_that_never_ends_is_an_error_at_its_deadline_and_frees_its_target(hanging_port: int) -> None:
    pool = ProbePool(size=2, per_target=1)
    hung = item(Smtp, host=LOOPBACK, port=hanging_port, timeout="1s")
    start = time.monotonic()
    for key in ("a", "b"):
        pool.submit(key, stuck, hung)
    first = pool.result("a", stuck, hung)
    assert 1 + GRACE - 0.1 <= time.monotonic() - start < 1 + GRACE + 1
    assert (first.status, first.reason) == (Status.ERROR, "no answer within 1s; the check did not end")
    assert pool.result("b", stuck, hung).status is Status.ERROR  # it waited for the target's one slot
    after = pool.result("c", quick, hung)  # both slots of the target and both workers were given up
    assert (after.status, after.reason) == (Status.PASSED, "fine")
    assert 1 + GRACE - 0.1 <= pool.elapsed("a") < 1 + GRACE + 1
    workers = [t for t in threading.enumerate() if t.name == "opsverify-probe"]
    assert len(workers) >= 3 and all(t.daemon for t in workers)  # never joined at exit
    pool.close()

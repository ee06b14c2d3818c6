"""Containers under real podman (and the docker CLI through podman's API): running, stopped, unhealthy, flapping."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from opsverify.checks.host.containers import running
from opsverify.result import Result, Status
from tests.hosts.helpers import host_item
from tests.hosts.podman import PREFIX, Podman, api_service
from tests.support.fixtures import require

OK, DOWN, SICK, FLAP, ONCE = (f"{PREFIX}-{kind}" for kind in ("ok", "down", "sick", "flap", "once"))
FLAPS = 4  # the flapping worker exits 1 this many times, then keeps running


def _stage(engine: Podman) -> None:
    """Compose projects: all fine, one worker killed, web unhealthy, a worker restarted FLAPS times, a one-shot job."""
    web = engine.start("ok-web", project=OK, service="web",
                       flags=("--health-cmd", "true", "--health-interval", "disable"))
    engine("healthcheck", "run", web)  # no systemd here to run healthchecks on a timer: run it once
    engine.start("ok-worker", project=OK, service="worker")
    engine.start("down-web", project=DOWN, service="web")
    engine("kill", engine.start("down-worker", project=DOWN, service="worker"))
    sick = engine.start("sick-web", project=SICK, service="web",
                        flags=("--health-cmd", "echo database   unreachable; false", "--health-interval", "disable",
                               "--health-retries", "1"))
    subprocess.run(["podman", "healthcheck", "run", sick], capture_output=True, timeout=60)  # exits 1: unhealthy
    script = f'echo x >> /runs; [ "$(wc -l < /runs)" -gt {FLAPS} ] && exec sleep 600; exit 1'
    flap = engine.start("flap-worker", "sh", "-c", script, project=FLAP, service="worker",
                        flags=("--restart", "on-failure"))
    engine.wait(flap, lambda s: s["RestartCount"] == FLAPS and s["State"]["Status"] == "running")
    engine.wait(f"{DOWN}-worker", lambda s: s["State"]["Status"] == "exited")
    engine.start("once-web", project=ONCE, service="web")
    engine.start("once-migrate", "true", project=ONCE, service="migrate")
    engine.wait(f"{ONCE}-migrate", lambda s: s["State"]["Status"] == "exited")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    """Podman with the four projects; every container and the image removed afterwards."""
    require(Podman.unavailable())
    try:
        made = Podman(tmp_path_factory.mktemp("podman"))
    except RuntimeError as exc:
        require(f"podman cannot import an image here: {exc}")
    try:
        try:
            _stage(made)
        except RuntimeError as exc:
            require(f"podman cannot run a container here: {exc}")
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def docker_host(engine: Podman, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DOCKER_HOST of podman's Docker-compatible API, for the real docker CLI."""
    require(None if shutil.which("docker") else "the docker CLI is not installed")
    with api_service(tmp_path_factory.mktemp("api")) as address:
        yield address


def check(engine: str = "podman", **fields: object) -> Result:
    """The containers check of the local machine."""
    return running(host_item(containers={"engine": engine, **fields}))


def test_running_and_healthy_containers_pass(engine: Podman) -> None:
    result = check(project=OK, names=["web", "worker"], max_restarts=3)
    assert result.status is Status.PASSED, result.reason
    assert result.reason == (f"2 containers running in compose project {OK} (1 healthy);"
                             " at most 0 restarts each; limit 3")
    assert result.evidence["containers"][f"{OK}-web"] == {"service": "web", "state": "running", "exit_code": 0,
                                                         "health": "healthy", "restarts": 0}
    by_name = check(names=[f"{OK}-worker"])
    assert (by_name.status, by_name.reason) == (Status.PASSED, "1 container running on web1")


def test_a_stopped_container_fails(engine: Podman) -> None:
    result = check(project=DOWN)
    assert result.status is Status.FAILED
    pattern = rf"container {DOWN}-worker \(service worker\) is exited \(code 137\) since [\d.]+(ms|s) ago"
    assert re.fullmatch(pattern, result.reason), result.reason


def test_a_one_shot_container_that_exited_0_passes(engine: Podman) -> None:
    result = check(project=ONCE, max_restarts=0)
    assert result.status is Status.PASSED, result.reason
    assert result.reason == (f"1 container running in compose project {ONCE}; one-shot {ONCE}-migrate completed "
                             "(exit 0); at most 0 restarts each; limit 0")


def test_an_unhealthy_container_fails_with_its_healthcheck_output(engine: Podman) -> None:
    result = check(project=SICK)
    assert result.status is Status.FAILED
    assert result.reason == f"container {SICK}-web (service web) is unhealthy: database unreachable"


def test_a_missing_service_or_project_fails(engine: Podman) -> None:
    missing = check(project=OK, names=["web", "cron"])
    assert missing.status is Status.FAILED
    assert missing.reason == f"expected container cron not found in compose project {OK}"
    gone = check(names=[f"{PREFIX}-gone"])
    assert (gone.status, gone.reason) == (Status.FAILED, f"expected container {PREFIX}-gone not found on web1")
    empty = check(project=f"{PREFIX}-none")
    assert (empty.status, empty.reason) == (Status.FAILED, f"no containers in compose project {PREFIX}-none on web1")


def test_restarts_over_the_limit_fail(engine: Podman) -> None:
    over = check(project=FLAP, max_restarts=FLAPS - 1)
    assert (over.status, over.value) == (Status.FAILED, FLAPS)
    assert over.reason == f"container {FLAP}-worker (service worker) restarted {FLAPS} times; limit {FLAPS - 1}"
    warned = check(project=FLAP, max_restarts=10, warn_max_restarts=1)
    assert warned.status is Status.WARNING
    assert warned.reason == f"container {FLAP}-worker (service worker) restarted {FLAPS} times; warning level 1"
    assert check(project=FLAP, max_restarts=FLAPS).status is Status.PASSED


def test_the_docker_cli_reads_the_same_containers(docker_host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    healthy = check("docker", project=OK, names=["web", "worker"])
    assert healthy.status is Status.PASSED, healthy.reason
    assert healthy.reason == f"2 containers running in compose project {OK} (1 healthy)"
    sick = check("docker", project=SICK)
    assert sick.status is Status.FAILED
    assert sick.reason == f"container {SICK}-web (service web) is unhealthy: database unreachable"


def test_an_engine_that_is_not_running_is_an_error(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    require(None if shutil.which("docker") else "the docker CLI is not installed")
    socket = f"unix://{tmp_path}/docker.sock"  # no daemon listens here
    monkeypatch.setenv("DOCKER_HOST", socket)
    result = check("docker", project="shop")
    assert result.status is Status.ERROR
    listing = "`docker ps -a -q --no-trunc --filter label=com.docker.compose.project=shop`"
    assert result.reason == (f"{listing} failed on web1 (exit 1): "
                             f"Cannot connect to the Docker daemon at {socket}. Is the docker daemon running?")

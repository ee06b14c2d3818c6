"""A real container engine for the container checks: podman with a busybox image built without a registry."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = f"opsv-test-{os.getpid()}"  # every container and image made here is named like this
IMAGE = f"localhost/{PREFIX}-busybox"
COMPOSE = "com.docker.compose"
# Debian's default runtime crun refuses hybrid cgroup v1/v2 machines ("cgroups in hybrid mode not supported")
# and, without CAP_SYS_RESOURCE, podman's default rlimits (nofile/nproc 1048576) cannot be set: use runc and low ones.
RUNTIME = ["--runtime", "runc"] if shutil.which("runc") else []
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]


class Podman:
    """Containers of a throwaway busybox image, removed with the image on close()."""

    def __init__(self, folder: Path) -> None:
        rootfs = folder / "rootfs"
        (rootfs / "bin").mkdir(parents=True)
        shutil.copy(shutil.which("busybox") or "/bin/busybox", rootfs / "bin" / "busybox")
        for applet in self._output(str(rootfs / "bin" / "busybox"), "--list").split():
            if applet != "busybox":
                (rootfs / "bin" / applet).symlink_to("busybox")
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(folder / "rootfs.tar"), "."], check=True)
        self.names: list[str] = []
        self("import", "-q", str(folder / "rootfs.tar"), IMAGE)

    @staticmethod
    def unavailable() -> str | None:
        """Why no container can be run here, or None."""
        missing = [tool for tool in ("podman", "busybox", "tar") if not shutil.which(tool)]
        if missing:
            return f"{', '.join(missing)} not found (apt-get install podman runc busybox-static)"
        return None

    def __call__(self, *args: str) -> str:
        """A podman command's standard output; RuntimeError with its stderr when it fails."""
        return self._output("podman", *args)

    @staticmethod
    def _output(*command: str) -> str:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, name: str, *command: str, project: str | None = None, service: str | None = None,
              flags: tuple[str, ...] = ()) -> str:
        """Run a detached container PREFIX-NAME (of a compose project and service, if given); its name."""
        full = f"{PREFIX}-{name}"
        labels = [] if project is None else ["--label", f"{COMPOSE}.project={project}",
                                             "--label", f"{COMPOSE}.service={service or name}"]
        self.names.append(full)
        self("run", *RUNTIME, "-d", "--name", full, "--network", "none", *LIMITS, *labels, *flags,
             IMAGE, *(command or ("sleep", "600")))
        return full

    def state(self, name: str) -> dict:
        """`podman inspect` of a container."""
        return json.loads(self("inspect", name))[0]

    def wait(self, name: str, done, seconds: float = 30) -> None:
        """Poll `inspect` until done(entry) holds."""
        deadline = time.monotonic() + seconds
        while not done(self.state(name)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not get there: {self.state(name)['State']}")
            time.sleep(0.2)

    def close(self) -> None:
        """Remove every container made here, then the image."""
        if self.names:
            subprocess.run(["podman", "rm", "-f", "-t", "0", *self.names], capture_output=True, timeout=120)
        subprocess.run(["podman", "rmi", "-f", IMAGE], capture_output=True, timeout=120)


@contextmanager
def api_service(folder: Path) -> Iterator[str]:
    """podman's Docker-compatible API on a unix socket in folder; yields its DOCKER_HOST."""
    path = folder / "podman.sock"
    server = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{path}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not _answers(path):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("podman system service did not open its socket")
            time.sleep(0.1)
        yield f"unix://{path}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(path: Path) -> bool:
    """Whether a unix socket accepts a connection."""
    with socket.socket(socket.AF_UNIX) as client:
        try:
            client.connect(str(path))
            return True
        except OSError:
            return False

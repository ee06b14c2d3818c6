"""`--env FILE` and `--reports DIR` written with a space: pytest started again, once, with `--env=FILE`.

pytest picks its root folder and reads pytest.ini before it loads any plugin, and takes the value of
an option it does not know yet for a test path: `--env /etc/opsverify/prod.yml` makes /etc/opsverify
the root, and the checkout's pytest.ini (testpaths, markers, addopts) goes unread. The plugin's
earliest hook sees such a value and starts pytest again in the same process (exec: same pid, same
terminal, same signals) with every argument as given but the values joined, which pytest reads as
options. The new run has nothing left to join, so it never restarts again.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

PATH_OPTIONS = ("--env", "--reports")
ADDOPTS = "PYTEST_ADDOPTS"
RESTARTED = "OPSV_RESTARTED"  # set for the restarted run only: a second restart would be a loop
CONFIG_FILES = (("pyproject.toml", "[tool.pytest"), ("tox.ini", "[pytest]"), ("setup.cfg", "[tool:pytest]"))


def joined(args: list[str], here: Path) -> list[str]:
    """`args` with each `--env FILE` / `--reports DIR` whose value pytest reads as a path written `--env=FILE`."""
    out: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            return [*out, arg, *rest]
        value = next(rest, None) if arg in PATH_OPTIONS else None
        if value is None:
            out.append(arg)
        elif _a_path(value, here):
            out.append(f"{arg}={value}")
        else:
            out += [arg, value]
    return out


def _a_path(value: str, here: Path) -> bool:
    """Whether pytest takes `value` for a test path when it looks for its root folder (it exists)."""
    return not value.startswith("-") and (here / value.split("::")[0]).exists()


def if_spaced(config: pytest.Config) -> None:
    """Start pytest again with the values joined when a value written after a space was read as a path."""
    restarted = os.environ.pop(RESTARTED, None)
    here = config.invocation_params.dir
    args, addopts = list(config.invocation_params.args), shlex.split(os.environ.get(ADDOPTS, ""))
    fixed, fixed_addopts = joined(args, here), joined(addopts, here)
    if fixed == args and fixed_addopts == addopts:
        return
    if restarted or not _pytest_is_the_program(args):
        _refuse_a_stray_root(config, args + addopts)
        return
    os.environ[RESTARTED] = "1"
    if fixed_addopts != addopts:
        os.environ[ADDOPTS] = shlex.join(fixed_addopts)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [*sys.orig_argv[:len(sys.orig_argv) - len(args)], *fixed])


def _pytest_is_the_program(args: list[str]) -> bool:
    """Whether this process runs pytest on its own command line (not pytest.main() called with other args)."""
    return sys.argv[1:] == args and sys.orig_argv[len(sys.orig_argv) - len(args):] == args


def _refuse_a_stray_root(config: pytest.Config, args: list[str]) -> None:
    """Where pytest cannot be started again (pytest.main() in a program): stop if the checkout's config was missed."""
    missed = _pytest_config_above(config.invocation_params.dir)
    if config.inipath is not None or missed is None:
        return
    here = config.invocation_params.dir
    option, value = next((a, v) for a, v in zip(args, args[1:]) if a in PATH_OPTIONS and _a_path(v, here))
    raise pytest.UsageError(
        f"pytest did not read {missed} because `{option} {value}` was written with a space, and took "
        f"{config.rootpath} as its root instead. Write {option}={value} (with '='), or use "
        f"{'OPSV_ENV' if option == '--env' else 'OPSV_REPORTS'}={value}.")


def _pytest_config_above(folder: Path) -> Path | None:
    """The pytest configuration file pytest would find from `folder` upwards, if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / "pytest.ini").is_file():
            return candidate / "pytest.ini"
        for name, marker in CONFIG_FILES:
            path = candidate / name
            if path.is_file() and marker in path.read_text(errors="replace"):
                return path
    return None

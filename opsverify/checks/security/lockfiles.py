"""Lockfiles to packages: composer.lock, package-lock.json, yarn.lock, requirements.txt, poetry.lock (OSV ecosystem
names)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from opsverify.checks import CheckError

SUPPORTED = "composer.lock, package-lock.json (or npm-shrinkwrap.json), yarn.lock, requirements*.txt, poetry.lock"
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;,\\#]+)\s*(?:;.*)?$")
NAMED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")
NOT_REGISTRY = re.compile(r"^(?:git|github:|gitlab:|bitbucket:|file:|link:|portal:|patch:|https?:)")
YARN_VERSION = re.compile(r'^  version "?([^"\s]+)"?\s*$')  # two spaces: a dependency line has four


@dataclass(frozen=True)
class Package:
    """One installed package; `problem` says why it cannot be checked (then version may be None)."""

    ecosystem: str  # PyPI, npm, Packagist
    name: str
    version: str | None
    problem: str | None = None

    def __str__(self) -> str:
        """`lodash 4.17.20`."""
        return f"{self.name} {self.version}" if self.version else self.name


def normalize(ecosystem: str, name: str) -> str:
    """A package name as advisories index it (PyPI: PEP 503; Packagist: lower case)."""
    if ecosystem == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name.lower() if ecosystem == "Packagist" else name


def parse(path: str, content: bytes) -> list[Package]:
    """The packages a lockfile pins, by its file name; an unknown or unreadable file is a CheckError."""
    name = PurePosixPath(path).name
    text = content.decode("utf-8-sig", errors="replace")
    try:
        if name == "composer.lock":
            return _unique(_composer(json.loads(text)))
        if name in ("package-lock.json", "npm-shrinkwrap.json"):
            return _unique(_npm(json.loads(text)))
        if name == "yarn.lock":
            return _unique(_yarn_berry(yaml.safe_load(text)) if "__metadata:" in text else _yarn(text))
        if name == "poetry.lock":
            return _unique(_poetry(tomllib.loads(text)))
        if name.endswith(".txt") and "requirements" in name:
            return _unique(_requirements(text))
    except (ValueError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise CheckError(f"{name} cannot be parsed: {str(exc).splitlines()[0]}") from exc
    raise CheckError(f"{name} is not a lockfile opsverify reads; it reads {SUPPORTED}")


def _unique(packages: Iterator[Package]) -> list[Package]:
    """Packages without repeats, in first-seen order."""
    return list(dict.fromkeys(packages))


def _composer(lock: dict[str, Any]) -> Iterator[Package]:
    """`packages` and `packages-dev` of composer.lock."""
    for entry in [*lock.get("packages", []), *lock.get("packages-dev", [])]:
        version = str(entry.get("version", "")).strip()
        name = str(entry.get("name", ""))
        if version.startswith("dev-") or not version:
            yield Package("Packagist", name, version or None, f"a development branch ({version or 'no version'})")
        else:
            yield Package("Packagist", name, version.removeprefix("v"))


def _npm(lock: dict[str, Any]) -> Iterator[Package]:
    """`packages` (lockfileVersion 2 and 3) or the nested `dependencies` (version 1) of package-lock.json."""
    if "packages" in lock:
        for where, entry in lock["packages"].items():
            if not where or entry.get("link"):
                continue
            name = entry.get("name") or where.rsplit("node_modules/", 1)[-1]
            yield _npm_package(name, entry.get("version"))
    else:
        yield from _npm_v1(lock.get("dependencies", {}))


def _npm_v1(dependencies: dict[str, Any]) -> Iterator[Package]:
    """The nested dependencies of a lockfileVersion 1 file."""
    for name, entry in dependencies.items():
        yield _npm_package(name, entry.get("version"))
        yield from _npm_v1(entry.get("dependencies", {}))


def _npm_package(name: str, version: Any) -> Package:
    """An npm package; a version that is a URL, path or git reference cannot be checked."""
    text = str(version or "")
    if re.fullmatch(r"\d+\.\d+\.\d+(?:[-+][\w.+-]*)?", text):
        return Package("npm", name, text)
    return Package("npm", name, text or None, f"not a registry version ({text or 'none'})")


def _yarn(text: str) -> Iterator[Package]:
    """The entries of a classic (v1) yarn.lock: a line of specifiers (`"@babel/core@^7.0.0", …:`), then an indented
    `version "1.2.3"`. An `npm:` alias is its real package; git, file and URL sources cannot be checked."""
    name, source = None, ""
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and line.rstrip().endswith(":"):
            first = line.rstrip().rstrip(":").split(",")[0].strip().strip('"')
            at = first.find("@", 1)
            name, source = (first[:at], first[at + 1:]) if at > 0 else (None, "")
            if source.startswith("npm:"):
                name = source[4:].rsplit("@", 1)[0] if "@" in source[5:] else name
        elif name and (version := YARN_VERSION.match(line)):
            yield Package("npm", name, version[1], f"not a registry version ({source})") \
                if NOT_REGISTRY.match(source) else _npm_package(name, version[1])
            name = None


def _yarn_berry(lock: dict[str, Any]) -> Iterator[Package]:
    """The entries of a yarn 2+ lockfile (YAML): `resolution: name@npm:1.2.3`; the project's own workspaces are
    left out, other protocols (git, file, patch) cannot be checked."""
    for key, entry in lock.items():
        if key == "__metadata" or not isinstance(entry, dict):
            continue
        resolution = str(entry.get("resolution", ""))
        name, _, source = resolution[1:].partition("@") if resolution.startswith("@") else resolution.partition("@")
        name = "@" + name if resolution.startswith("@") else name
        protocol, _, version = source.partition(":")
        if protocol == "workspace":
            continue
        if protocol == "npm":
            yield _npm_package(name, version)
        else:
            yield Package("npm", name, None, f"not a registry version ({source or 'none'})")


def _poetry(lock: dict[str, Any]) -> Iterator[Package]:
    """`[[package]]` of poetry.lock; git, URL and path sources cannot be checked."""
    for entry in lock.get("package", []):
        source = (entry.get("source") or {}).get("type")
        name, version = str(entry.get("name", "")), str(entry.get("version", "")) or None
        if source in ("git", "url", "file", "directory"):
            yield Package("PyPI", name, version, f"installed from a {source} source")
        else:
            yield Package("PyPI", name, version)


def _requirements(text: str) -> Iterator[Package]:
    """Pinned `name==version` lines; anything else that installs something is reported as not checkable."""
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        line = re.sub(r"\s--hash[= ]\S+", "", line).strip()
        if not line or line.startswith(("--index-url", "--extra-index-url", "-i ", "--trusted-host", "--find-links",
                                        "-f ", "--no-binary", "--only-binary", "--prefer-binary", "--pre")):
            continue
        if line.startswith(("-r", "--requirement", "-c", "--constraint")):
            yield Package("PyPI", line, None, "an included file is not read")
            continue
        if line.startswith(("-e", "--editable")) or "://" in line or " @ " in line:
            egg = re.search(r"#egg=([\w.-]+)", line)  # never the URL itself: it may hold credentials
            name = egg[1] if egg else line.split(" @ ")[0].strip() if " @ " in line else "(a URL requirement)"
            yield Package("PyPI", name, None, "an editable or URL requirement")
            continue
        pinned = PINNED.match(line)
        if pinned:
            yield Package("PyPI", pinned[1], pinned[2])
            continue
        named = NAMED.match(line)
        if named:
            spec = named[2].split(";")[0].strip() or "no version"
            yield Package("PyPI", named[1], None, f"not pinned to one version ({spec})")

"""OSV advisories: which package versions they affect, their fixed versions, and their severity (CVSS v3)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from opsverify.checks.security.lockfiles import Package, normalize

SEVERITIES = ("low", "medium", "high", "critical")
_WORDS = {"low": "low", "moderate": "medium", "medium": "medium", "high": "high", "critical": "critical"}
_STABILITY = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "rc": 3, "c": 3, "pre": 3, "": 4,
              "p": 5, "pl": 5, "patch": 5, "post": 5}


@dataclass(frozen=True)
class Advisory:
    """One OSV record, reduced to what the audit needs."""

    id: str
    summary: str
    severity: str | None  # low, medium, high, critical; None when the record gives none
    modified: str
    affected: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, record: dict[str, Any]) -> Advisory:
        """An Advisory from an OSV JSON record."""
        return cls(str(record["id"]), str(record.get("summary") or record.get("details", ""))[:200],
                   severity_of(record), str(record.get("modified", "")), tuple(record.get("affected") or ()))

    def packages(self) -> list[tuple[str, str]]:
        """The (ecosystem, normalized name) pairs it is about."""
        pairs = []
        for affected in self.affected:
            package = affected.get("package") or {}
            ecosystem = str(package.get("ecosystem", "")).split(":")[0]
            pairs.append((ecosystem, normalize(ecosystem, str(package.get("name", "")))))
        return pairs

    def affects(self, package: Package) -> bool:
        """Whether the package's version is affected (listed versions, or ECOSYSTEM/SEMVER ranges)."""
        return any(_matches(affected, package) for affected in self._about(package))

    def fixed_in(self, package: Package) -> str | None:
        """The lowest fixed version above the package's version, if any."""
        fixes = [event["fixed"] for affected in self._about(package) for r in affected.get("ranges", ())
                 if r.get("type") in ("ECOSYSTEM", "SEMVER") for event in r.get("events", ()) if "fixed" in event]
        above = [f for f in fixes if _compare(package.ecosystem, f, package.version or "") > 0]
        return min(above, key=lambda f: version_key(package.ecosystem, f), default=None) if above else None

    def _about(self, package: Package) -> list[dict[str, Any]]:
        """The `affected` entries for this package."""
        want = (package.ecosystem, normalize(package.ecosystem, package.name))
        return [a for a, pair in zip(self.affected, self.packages()) if pair == want]


def _matches(affected: dict[str, Any], package: Package) -> bool:
    """One `affected` entry against a version: explicit versions first, then the ranges' events in order."""
    version = package.version or ""
    if version in (affected.get("versions") or ()):
        return True
    for found in affected.get("ranges", ()):
        if found.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        events = sorted(found.get("events", ()), key=lambda e: _event_key(package.ecosystem, e))
        vulnerable = False
        for event in events:
            if "introduced" in event and _compare(package.ecosystem, version, event["introduced"]) >= 0:
                vulnerable = True
            elif "fixed" in event and _compare(package.ecosystem, version, event["fixed"]) >= 0:
                vulnerable = False
            elif "last_affected" in event and _compare(package.ecosystem, version, event["last_affected"]) > 0:
                vulnerable = False
        if vulnerable:
            return True
    return False


def _event_key(ecosystem: str, event: dict[str, str]) -> tuple[Any, ...]:
    """Events in version order ("0" first; at one version, introduced before fixed)."""
    value = next(iter(event.values()), "0")
    return version_key(ecosystem, value), 0 if "introduced" in event else 1


def _compare(ecosystem: str, left: str, right: str) -> int:
    """-1, 0 or 1 as left is lower, equal or higher ("0" is the lowest of all)."""
    a, b = version_key(ecosystem, left), version_key(ecosystem, right)
    return (a > b) - (a < b)


def version_key(ecosystem: str, text: str) -> tuple[Any, ...]:
    """A sort key for a version in its ecosystem: PEP 440 for PyPI, semver/composer rules otherwise."""
    if text == "0":
        return (0,)
    if ecosystem == "PyPI":
        try:
            return (1, 1, Version(text))
        except InvalidVersion:
            pass
    text = text.strip().lstrip("vV").split("+", 1)[0]
    match = re.match(r"(\d+(?:\.\d+)*)[-._]?(.*)", text)
    numbers, rest = (match[1], match[2]) if match else ("0", text)
    release = (tuple(int(n) for n in numbers.split(".")) + (0,) * 6)[:6]
    word = re.sub(r"[^A-Za-z].*$", "", rest).lower()
    rank = _STABILITY.get(word, 1) if rest else 4
    parts = re.findall(r"\d+|[A-Za-z]+", rest)[1 if word else 0:]
    return (1, 0, release, rank, tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in parts))


def severity_of(record: dict[str, Any]) -> str | None:
    """The record's severity: its database's word (GHSA: MODERATE = medium), else a CVSS v3 vector's rating."""
    words = [(record.get("database_specific") or {}).get("severity")]
    words += [(a.get("ecosystem_specific") or {}).get("severity") for a in record.get("affected") or ()]
    for word in words:
        if isinstance(word, str) and word.lower() in _WORDS:
            return _WORDS[word.lower()]
    for entry in record.get("severity") or ():
        if str(entry.get("type", "")).startswith("CVSS_V3"):
            score = cvss3(str(entry.get("score", "")))
            if score is not None:
                return rating(score)
    return None


def rating(score: float) -> str:
    """The CVSS v3 qualitative rating of a base score ("none" scores count as low)."""
    return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"


_CVSS = {"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}, "AC": {"L": 0.77, "H": 0.44},
         "UI": {"N": 0.85, "R": 0.62}, "CIA": {"H": 0.56, "L": 0.22, "N": 0.0}}


def cvss3(vector: str) -> float | None:
    """The CVSS v3.x base score of a vector like `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`; None if malformed."""
    metrics = dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    try:
        changed = metrics["S"] == "C"
        privileges = {"N": 0.85, "L": 0.68 if changed else 0.62, "H": 0.5 if changed else 0.27}[metrics["PR"]]
        c, i, a = (_CVSS["CIA"][metrics[k]] for k in ("C", "I", "A"))
        exploitability = 8.22 * _CVSS["AV"][metrics["AV"]] * _CVSS["AC"][metrics["AC"]] * privileges * \
            _CVSS["UI"][metrics["UI"]]
    except KeyError:
        return None
    base = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (base - 0.029) - 3.25 * (base - 0.02) ** 15 if changed else 6.42 * base
    if impact <= 0:
        return 0.0
    return _round_up(min((1.08 if changed else 1) * (impact + exploitability), 10))


def _round_up(value: float) -> float:
    """CVSS v3.1 Roundup: the smallest one-decimal number at or above value."""
    scaled = round(value * 100_000)
    return scaled / 100_000 if scaled % 10_000 == 0 else (math.floor(scaled / 10_000) + 1) / 10

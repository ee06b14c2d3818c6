"""Verify the archive: the manifest's chain, hashes and signatures, and every recorded file."""

from __future__ import annotations

import hmac
import json
import math
import os
from dataclasses import dataclass, field
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from opsverify.archive import nofollow
from opsverify.archive.manifest import GENESIS, KEY_VARIABLE, MANIFEST, entry_hash, entry_hmac, locked
from opsverify.archive.runs import run_folders
from opsverify.archive.unfinished import findings

_SHOWN = 10
_FIELDS = {"seq": int, "run": str, "recorded": str, "summary": dict, "files": dict,
           "prev": str, "hash": str}


@dataclass(frozen=True)
class Verification:
    """What verify found: problems are ordered so the first altered entry is named first."""

    ok: bool
    entries: int
    problems: list[str]
    first_bad_seq: int | None
    notes: list[str] = field(default_factory=list)
    head: str | None = None
    quarantined: list[str] = field(default_factory=list)  # unfinished runs marked, with reason and findings


def verify(reports_dir: Path, key: bytes | None = None) -> Verification:
    """Check the manifest entry by entry and every file it lists; with key, the signatures too; no link anywhere."""
    path = reports_dir / MANIFEST
    check = _Check(reports_dir, key)
    try:
        data = read_manifest(reports_dir)
    except FileNotFoundError:
        data = b""
        check.problem(math.inf, f"no manifest at {path}: no run in this archive can be vouched for")
    except (nofollow.Planted, OSError):
        data = b""  # a link or a FIFO in its place: the scan of the archive names it
    check.manifest(data)
    check.unrecorded_folders()
    check.strays()
    return check.result()


def read_manifest(reports_dir: Path) -> bytes:
    """The manifest's bytes, read under the shared lock and never through a link."""
    with locked(reports_dir, exclusive=False), nofollow.folder(reports_dir) as root:
        return nofollow.read(root, MANIFEST)


def recorded_runs(reports_dir: Path) -> set[str]:
    """The run folders the manifest's readable entries name (a missing manifest names none)."""
    try:
        data = read_manifest(reports_dir)
    except FileNotFoundError:
        return set()
    return {entry["run"] for entry, _ in map(_parse, data.splitlines()) if entry}


def format_verification(v: Verification) -> str:
    """A few lines for the terminal: the verdict, the problems (first altered first), the notes."""
    entries = _count(v.entries, "entry")
    if v.ok:
        marked = f"; {_count(len(v.quarantined), 'run')} quarantined (below)" if v.quarantined else ""
        lines = [f"archive OK: {entries}, chain intact, every recorded file matches{marked}"]
    else:
        first = f"; first altered entry: {v.first_bad_seq}" if v.first_bad_seq is not None else ""
        lines = [f"archive NOT OK: {_count(len(v.problems), 'problem')} in {entries}{first}"]
        lines += [f"  {p}" for p in v.problems[:_SHOWN]]
        if len(v.problems) > _SHOWN:
            lines.append(f"  … and {len(v.problems) - _SHOWN} more")
    if v.head:
        lines.append(f"head: {v.head} (keep a copy elsewhere: it shows removed latest entries)")
    lines += [f"quarantined: {q}" for q in v.quarantined]
    lines += [f"note: {n}" for n in v.notes]
    return "\n".join(lines)


class _Check:
    """The state of one verification pass: the chain so far and what was found wrong."""

    def __init__(self, reports_dir: Path, key: bytes | None) -> None:
        """Start before the first line: the chain begins at 64 zeros."""
        self.reports_dir = reports_dir
        self.key = key
        self.found: list[tuple[float, str]] = []  # (seq the problem points at, message)
        self.lines = 0
        self.prev: tuple[int, str] | None = (0, GENESIS)  # None after a line that could not be read
        self.head: str | None = None
        self.runs: set[str] = set()
        self.signed = 0
        self.bad_signatures: list[tuple[int, str]] = []
        self.quarantined: list[str] = []
        self.links = _odd_files(reports_dir)  # links, FIFOs, devices anywhere in the archive -> what they are

    def problem(self, seq: float, message: str) -> None:
        """Note a problem that points at entry seq."""
        self.found.append((seq, message))

    def manifest(self, data: bytes) -> None:
        """Check every line of the manifest in order."""
        lines = data.split(b"\n")
        complete = lines[-1] == b""
        if complete:
            lines.pop()
        parsed = [_parse(line) for line in lines]
        where = {entry["seq"]: n for n, (entry, _) in enumerate(parsed, 1) if entry}
        self.lines = len(parsed)
        for n, (entry, error) in enumerate(parsed, 1):
            if entry is None:
                self.unreadable(n, error, truncated=n == len(parsed) and not complete)
            else:
                self.entry(entry, where)
        self.signatures()

    def unreadable(self, n: int, error: str, *, truncated: bool) -> None:
        """A line that is not an entry: the chain cannot be followed across it."""
        seq = self.prev[0] + 1 if self.prev else math.inf
        if truncated:
            self.problem(seq, f"line {n} is truncated: the last entry is incomplete ({error})")
        else:
            self.problem(seq, f"line {n} is not a manifest entry ({error})")
        self.prev = None

    def entry(self, entry: dict[str, Any], where: dict[int, int]) -> None:
        """Check one entry: its place in the chain, its own hash, its signature, its files."""
        seq = entry["seq"]
        label = f"entry {seq} ({entry['run']})"
        if self.prev is not None:
            self.link(entry, self.prev, where)
        if entry_hash(entry) != entry["hash"]:
            self.problem(seq, f"{label}: the entry was edited after it was recorded "
                              "(its hash does not match its contents)")
        self.signature(entry, label)
        self.files(entry, label)
        self.mark(entry, label)
        self.prev = (seq, entry["hash"])
        self.head = entry["hash"]

    def link(self, entry: dict[str, Any], prev: tuple[int, str], where: dict[int, int]) -> None:
        """The entry follows the previous one: consecutive seq, prev equal to its hash."""
        before, before_hash = prev
        seq, expected = entry["seq"], before + 1
        after = f"entry {seq} " + (f"follows entry {before}" if before else "is the first entry")
        if seq > expected:
            moved = [s for s in range(expected, seq) if s in where]
            if moved:
                why = f"the entries were reordered (entry {moved[0]} is on line {where[moved[0]]})"
            elif seq == expected + 1:
                why = f"entry {expected} was removed"
            else:
                why = f"entries {expected}–{seq - 1} were removed"
            self.problem(expected, f"{after}: {why}")
        elif seq < expected:
            self.problem(seq, f"{after}: the entries were reordered or an entry was copied")
        elif entry["prev"] != before_hash:
            if before:
                self.problem(before, f"entry {seq}: prev is not the hash of entry {before}: entry "
                                     f"{before} was replaced, or edited and re-hashed")
            else:
                self.problem(seq, f"entry {seq}: prev is not {GENESIS[:12]}…, so it does not "
                                  "start the chain: earlier entries were removed")

    def signature(self, entry: dict[str, Any], label: str) -> None:
        """With a key, the entry must carry a matching hmac; without one, count the unchecked."""
        if "hmac" in entry:
            self.signed += 1
        if self.key is None:
            return
        if "hmac" not in entry:
            self.problem(entry["seq"], f"{label}: the entry is not signed (no hmac), "
                                       "but a key was given")
        elif not hmac.compare_digest(str(entry["hmac"]).encode(),
                                     entry_hmac(entry, self.key).encode()):
            self.bad_signatures.append((entry["seq"], label))

    def signatures(self) -> None:
        """Report bad signatures: one problem if none matches (a wrong key), else one per entry."""
        if self.bad_signatures and len(self.bad_signatures) == self.signed:
            self.problem(self.bad_signatures[0][0],
                         "no signature matches the key given "
                         f"({_count(self.signed, 'signed entry')}): the key is wrong, "
                         "or every entry was forged")
            return
        for seq, label in self.bad_signatures:
            self.problem(seq, f"{label}: the signature (hmac) does not match: the entry was "
                              "altered by someone without the key")

    def files(self, entry: dict[str, Any], label: str) -> None:
        """Every recorded file exists with its recorded SHA-256, and none was added beside them."""
        seq, recorded = entry["seq"], entry["files"]
        if not _inside(entry["run"]) or not all(_inside(name) for name in recorded):
            self.problem(seq, f"{label}: names a path outside the archive")
            return
        self.runs.add(entry["run"])
        try:
            with nofollow.folder(self.reports_dir, *entry["run"].split("/")) as fd:
                self.compare(entry["run"], label, seq, recorded, nofollow.tree(fd))
        except FileNotFoundError:
            self.problem(seq, f"{label}: the run folder is missing")
        except (nofollow.Planted, OSError):
            self.problem(seq, f"{label}: the run folder is not a plain folder "
                              f"({self.links.pop(entry['run'], 'it cannot be opened')})")

    def compare(self, run: str, label: str, seq: int, recorded: dict[str, Any],
                present: Iterator[tuple[str, str, int, str]]) -> None:
        """The run folder's files against the recorded ones: changed, replaced by a link, added, missing."""
        seen = set()
        for name, kind, parent, base in present:
            seen.add(name)
            odd = self.links.pop(f"{run}/{name}", None)
            if name not in recorded:
                self.problem(seq, f"{label}: {name} was added after the run was recorded"
                                  + (f" ({name} {odd})" if odd else ""))
            elif kind != "file":
                self.problem(seq, f"{label}: {name} {odd or 'is not a plain file'}, not the recorded file")
            elif (now := nofollow.sha256(parent, base)) != recorded[name]:
                self.problem(seq, f"{label}: {name} was changed "
                                  f"(sha256 {str(recorded[name])[:12]}… recorded, {now[:12]}… now)")
        for name in recorded:
            if name not in seen:
                self.problem(seq, f"{label}: {name} is missing")

    def mark(self, entry: dict[str, Any], label: str) -> None:
        """A quarantine entry: shown with its reason, who marked it and what was found."""
        mark = entry.get("quarantine")
        if not isinstance(mark, dict):
            return
        found = [str(f) for f in mark.get("found") or []]
        self.quarantined.append(f"{label} marked unfinished by {mark.get('by', '?')} at {entry['recorded']}: "
                                f"{mark.get('reason', '?')}" + (f" (found: {'; '.join(found)})" if found else ""))

    def unrecorded_folders(self) -> None:
        """Run folders the manifest does not list are not vouched for: say what is wrong with each."""
        for run in run_folders(self.reports_dir):
            if run not in self.runs:
                found = findings(self.reports_dir, run)
                self.problem(math.inf, f"{run}: this run folder is not in the manifest (its entry was removed or "
                                       "never written, or it was added by hand)"
                                       + (f": {'; '.join(found)}" if found else "")
                                       + f"; if its run did not finish, mark it with `opsverify archive quarantine "
                                         f"{run} --reason ...`")

    def strays(self) -> None:
        """Links, FIFOs and devices the entries did not already account for: the archive holds none."""
        for path, what in sorted(self.links.items()):
            self.problem(math.inf, f"{path} {what}: the archive holds no links, pipes or devices")

    def result(self) -> Verification:
        """The verdict, the problems ordered by the entry they point at, and the notes."""
        ordered = sorted(self.found, key=lambda found: found[0])  # stable: keeps line order
        first = next((int(seq) for seq, _ in ordered if seq != math.inf), None)
        return Verification(not ordered, self.lines, [message for _, message in ordered], first,
                            self.notes(), self.head, self.quarantined)

    def notes(self) -> list[str]:
        """What verify could not establish: unchecked or absent signatures."""
        if self.key is None and self.signed:
            return [f"signatures were not checked: {_count(self.signed, 'entry')} signed, "
                    f"but no key was given (set {KEY_VARIABLE})"]
        if self.key is None and self.lines:
            return ["the entries are not signed: the chain shows edits, but someone who can write "
                    f"the archive could rewrite it whole (sign with {KEY_VARIABLE})"]
        return []


def _count(n: int, noun: str) -> str:
    """'1 entry', '2 entries', '3 problems'."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


def _parse(line: bytes) -> tuple[dict[str, Any] | None, str]:
    """A manifest line as an entry, or None and why it is not one."""
    try:
        entry = json.loads(line, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        return None, f"invalid JSON: {e}"
    if not isinstance(entry, dict):
        return None, "not a JSON object"
    for name, kind in _FIELDS.items():
        if not isinstance(entry.get(name), kind) or isinstance(entry.get(name), bool):
            return None, f'"{name}" is missing or not a {kind.__name__}'
    return entry, ""


def _no_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which the manifest never holds and cannot be hashed canonically."""
    raise ValueError(f"{name} is not allowed")


def _inside(name: str) -> bool:
    """Whether a recorded relative path stays inside the folder it is relative to."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def _odd_files(reports_dir: Path) -> dict[str, str]:
    """Every symlink, FIFO, socket or device below the archive folder (posix path relative to it) -> what it is."""
    found: dict[str, str] = {}
    try:
        with nofollow.folder(reports_dir) as root:
            for name, kind, parent, base in nofollow.tree(root):
                if kind == "link":
                    found[name] = f"is a symlink to {os.readlink(base, dir_fd=parent)}"
                elif kind == "other":
                    found[name] = "is not a plain file (a pipe, socket or device)"
    except FileNotFoundError:
        pass
    return found

"""Problems found in an environment file, each with its file, line and key, and the error that lists them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from opsverify.spec.secret import scrub

Path = tuple[str | int, ...]
Finding = tuple[Path, str]  # a problem before it knows its file and line
MAX_SHOWN = 15


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file: where (file, line, key) and what, in words."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (f"line {self.line}" if self.line else "", self.key) if part)
        return f"{where}: {self.message}" if where else self.message


class SpecError(Exception):
    """The environment file cannot be used; `problems` says why, `str()` says it to a person."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.key))
        super().__init__(self.problems)

    @property
    def file(self) -> str:
        """The file the problems were found in."""
        return self.problems[0].file if self.problems else "<unknown>"

    def __str__(self) -> str:
        count = len(self.problems)
        head = "a problem" if count == 1 else f"{count} problems"
        lines = [f"The environment file {self.file} has {head}; nothing was checked:"]
        lines += [f"  {problem}" for problem in self.problems[:MAX_SHOWN]]
        if count > MAX_SHOWN:
            lines.append(f"  ... and {count - MAX_SHOWN} more")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"SpecError({self.file!r}, {len(self.problems)} problems)"


def dotted(path: Path) -> str:
    """A key path as the user reads it: `endpoints[0].expect.max_time`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, else of the nearest enclosing key the file actually has."""
    for end in range(len(path), -1, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


def problem(file: str, lines: dict[Path, int], finding: Finding) -> Problem:
    """A Problem from a finding: its line looked up, its key spelt out, known secrets scrubbed."""
    path, message = finding
    return Problem(file, line_of(lines, path), dotted(path), scrub(message))


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a near miss most likely meant (`max_agee` -> `max_age`), if any is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'max_age'?` for a near miss, else an empty string."""
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match else ""

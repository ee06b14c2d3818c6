"""Count log lines matching a pattern inside a time window, reading from the end backwards.

Lines are taken to be in time order. The live file is read backwards a block at a time and the scan
stops at the first block that starts before the window; rotated files follow, newest first, until
one was last written before the window. Only matching lines have their timestamp read, except the
first line of each block and, where a ratio is asked for, the lines of the block that straddles the
window's start. The same pass counts the ratio's denominator and the matching lines by client, and with a
volume it reads on past the window to the start of the usual period, counting the matching lines of the
volume's window and of the usual period before it (only the blocks straddling either start have every
matching line's time read).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from opsverify.checks import CheckError
from opsverify.checks.logs.files import LocalFiles, LogFile, RemoteFiles
from opsverify.checks.logs.stamps import FORMATS, Clock, Format, detect

_META = set(".^$*+?{}[]()|\\")
_OPTIONAL = set("*?{")
MIN_LITERAL = 3  # a shorter literal prefix is not worth a separate search
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_HEX = re.compile(r"\b(?:0x)?(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b")
_NUMBER = re.compile(r"\d+")
MESSAGE = 200  # characters of a normalised message kept


class Matcher:
    """A pattern's matching lines in a buffer; an alternation of literals is found with bytes.find."""

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern.encode(), re.MULTILINE)  # ^ and $ at each line
        self.literals, self.exact = _literals(pattern)

    def lines(self, data: bytes) -> list[tuple[int, int]]:
        """(start, end) of every line of `data` that matches, in order."""
        if self.literals is None:
            return list(self._by_regex(data))
        found: dict[int, int] = {}
        for literal in self.literals:
            at = data.find(literal)
            while at >= 0:
                start, end = data.rfind(b"\n", 0, at) + 1, _line_end(data, at)
                if start not in found and (self.exact or self.regex.search(data, start, end)):
                    found[start] = end
                at = data.find(literal, end)
        return sorted(found.items())

    def _by_regex(self, data: bytes) -> Iterator[tuple[int, int]]:
        """Matching lines found by the regular expression itself."""
        m = self.regex.search(data)
        while m:
            start, end = data.rfind(b"\n", 0, m.start()) + 1, _line_end(data, m.start())
            yield start, end
            m = self.regex.search(data, end + 1) if end < len(data) else None


def _line_end(data: bytes, at: int) -> int:
    """The index of the newline ending the line at `at` (or the end of data)."""
    end = data.find(b"\n", at)
    return len(data) if end < 0 else end


def _literals(pattern: str) -> tuple[list[bytes] | None, bool]:
    """The literal prefix of each top-level alternative, and whether the alternatives are only those.

    (None, False) when some alternative has no literal prefix of MIN_LITERAL characters."""
    inner = pattern[3:-1] if pattern.startswith("(?:") and pattern.endswith(")") else pattern
    branches, depth, current, escaped = [], 0, "", False
    for char in inner:
        if escaped:
            current, escaped = current + "\\" + char, False
        elif char == "\\":
            escaped = True
        elif char == "|" and depth == 0:
            branches, current = branches + [current], ""
        else:
            depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
            current += char
    prefixes = [_prefix(branch) for branch in [*branches, current]]
    if depth != 0 or any(len(text) < MIN_LITERAL for text, _ in prefixes):
        return None, False
    return [text.encode() for text, _ in prefixes], all(whole for _, whole in prefixes)


def _prefix(branch: str) -> tuple[str, bool]:
    """The literal text a branch starts with, and whether that is the whole branch."""
    text, i = "", 0
    while i < len(branch):
        char = branch[i]
        if char == "\\" and i + 1 < len(branch) and not branch[i + 1].isalnum():
            text, i = text + branch[i + 1], i + 2
        elif char in _META:
            break
        else:
            text, i = text + char, i + 1
    if i < len(branch) and branch[i] in _OPTIONAL:
        return text[:-1], False  # `ab*`: the last character may be absent
    return text, i == len(branch)


def normalise(message: str) -> str:
    """A message with ids and numbers replaced, so repeats of one message count together."""
    message = " ".join(_NUMBER.sub("#", _HEX.sub("<id>", _UUID.sub("<id>", message))).split())
    return message.removeprefix("[]").lstrip("-:,|> ")[:MESSAGE]  # what the removed stamp leaves


@dataclass
class Tally:
    """What a scan found: matching lines in the window, by normalised message, and what it read."""

    count: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # each message's first line as read, to show it scrubbed
    files: list[str] = field(default_factory=list)
    bytes_read: int = 0
    format: str | None = None
    among: int = 0  # with a ratio: lines in the window matching `of` (every line without `of`)
    matching_among: int = 0  # with a ratio: matching lines that are among those
    clients: Counter[str] = field(default_factory=Counter)  # with a client pattern: matching lines by client
    no_client: int = 0  # matching lines in which the client pattern found no client
    recent: int = 0  # with a volume: matching lines in its window
    usual: int = 0  # with a volume: matching lines in the usual period before its window
    oldest: float | None = None  # the earliest time read (a line's, or a file's last write where the scan stopped)
    clock: Clock | None = None  # the host's now and zone the scan used
    last_written: float | None = None  # the newest modification time of the log's files


class Scan:
    """One scan of one log for one pattern and window, with the ratio's, the clients' and the volume's counts."""

    def __init__(self, source: LocalFiles | RemoteFiles, pattern: str, window: float, clock: Clock, *,
                 ratio: bool = False, of: str | None = None, client: str | None = None,
                 volume: tuple[float, float] | None = None) -> None:
        self.source, self.matcher, self.clock = source, Matcher(pattern), clock
        self.since = clock.now - window
        self.volume = volume is not None
        self.recent = clock.now - volume[0] if volume else self.since  # the volume's window starts here
        self.usual = self.recent - volume[1] if volume else self.since  # and the usual period before it here
        self.horizon = min(self.since, self.usual)  # how far back the scan reads
        self.format: Format | None = None
        self.tally = Tally(clock=clock)
        self.ratio, self.of = ratio, Matcher(of) if of is not None else None
        self.client = re.compile(client.encode()) if client is not None else None

    def run(self, path: str) -> Tally:
        """Scan the log's files, newest first, until past the window (and the volume's usual period)."""
        files = self.source.files(path)
        if not files:
            raise CheckError(f"{path} does not exist")
        self.tally.last_written = max(f.mtime for f in files)
        try:
            for file in files:
                if file.mtime < self.horizon:
                    self._reached(file.mtime)
                    break  # last written before the scan's reach: it and every older file are out
                self.tally.files.append(file.path)
                if self._forwards(file) if file.gz else self._backwards(file):
                    break
        finally:
            self.source.close()
        if self.format is None and self.tally.bytes_read and (self.tally.count or self.tally.among
                                                               or self.tally.recent):
            known = ", ".join(f.name for f in FORMATS)
            raise CheckError(f"no line of {path} read in the window has a timestamp in a known format ({known})")
        self.tally.format = self.format.name if self.format else None
        if self.ratio and self.of is None:
            self.tally.matching_among = self.tally.count  # every matching line is among all lines
        return self.tally

    def _backwards(self, file: LogFile) -> bool:
        """Read a plain file from its end a block at a time; True once a block starts before the window."""
        pos, carry = file.size, b""
        while pos > 0:
            start = max(0, pos - self.source.block)
            data = self.source.read(file, start, pos - start) + carry
            self.tally.bytes_read += pos - start
            pos = start
            if start > 0:
                cut = data.find(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                carry, data = data[:cut], data[cut:]
            if self._block(data):
                return True
        return False

    def _forwards(self, file: LogFile) -> bool:
        """Read a .gz file from its start; blocks that end before the window are skipped."""
        past, carry = False, b""
        for chunk in self.source.chunks(file):
            self.tally.bytes_read += len(chunk)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            carry, data = data[cut:], data[:cut]
            past = self._block(data) or past
        return self._block(carry) or past

    def _block(self, data: bytes) -> bool:
        """Tally a block of whole lines; True when its first stamped line is older than the scan reads back."""
        first = self._edge(data, reverse=False)
        last = None if first is None else self._edge(data, reverse=True)
        self._reached(first)
        if last is not None and last < self.horizon:
            return True  # wholly before (a .gz file is read from its start)
        spans = self.matcher.lines(data)
        if last is None or last >= self.since:
            for start, end in self._after(data, spans, (first, last), self.since):
                self._count(data[start:end])
            if self.ratio:
                self.tally.among += self._among(data, (first, last))
        if self.volume:
            recent = len(self._after(data, spans, (first, last), self.recent))
            self.tally.recent += recent
            self.tally.usual += len(self._after(data, spans, (first, last), self.usual)) - recent
        return first is not None and first < self.horizon

    def _reached(self, at: float | None) -> None:
        """Note how far back the log reaches."""
        if at is not None and (self.tally.oldest is None or at < self.tally.oldest):
            self.tally.oldest = at

    def _after(self, data: bytes, spans: list[tuple[int, int]], edges: tuple[float | None, float | None],
               since: float) -> list[tuple[int, int]]:
        """The lines (spans of `data`) timed `since` or later: all if the block starts there, none if it ends before."""
        first, last = edges
        if first is None or first >= since:
            return spans
        if last is not None and last < since:
            return []
        return [(start, end) for start, end in spans
                if (at := self._line_time(data, start, end)) is not None and at >= since]

    def _among(self, data: bytes, edges: tuple[float | None, float | None]) -> int:
        """How many lines of the block in the window match `of`, or how many lines it has there without `of`."""
        if self.of is not None:
            return len(self._after(data, self.of.lines(data), edges, self.since))
        inside = edges[0] is None or edges[0] >= self.since
        if inside:
            return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        count, at = 0, None
        for start, end in _lines_forwards(data):  # each line's own time, else the one above it (as _line_time)
            found = self._stamp(data[start:end])
            at = found[0] if found is not None else at
            if at is not None and at >= self.since:
                count += 1
        return count

    def _edge(self, data: bytes, *, reverse: bool) -> float | None:
        """The time of the first (or last) line of the block that has one."""
        for start, end in _lines_backwards(data) if reverse else _lines_forwards(data):
            found = self._stamp(data[start:end])
            if found is not None:
                return found[0]
        return None

    def _line_time(self, data: bytes, start: int, end: int) -> float | None:
        """A line's own time, else that of the nearest earlier stamped line in the block (a stack trace)."""
        while True:
            found = self._stamp(data[start:end])
            if found is not None:
                return found[0]
            if start == 0:
                return None
            end = start - 1
            start = data.rfind(b"\n", 0, end) + 1

    def _stamp(self, line: bytes) -> tuple[float, tuple[int, int]] | None:
        """A line's time and the stamp's span, detecting the log's format from the first stamped line."""
        if self.format is None:
            self.format = detect(line, self.clock)
            if self.format is None:
                return None
        return self.format.stamp(line, self.clock)

    def _count(self, line: bytes) -> None:
        """Count one matching line in the window under its normalised message (and its client, if asked)."""
        self.tally.count += 1
        if self.ratio and self.of is not None and self.of.regex.search(line):
            self.tally.matching_among += 1
        if self.client is not None:
            found = self.client.search(line)
            if found is not None and found.group(1):
                self.tally.clients[found.group(1).decode("utf-8", "replace")] += 1
            else:
                self.tally.no_client += 1
        found = self._stamp(line)
        if found is not None:
            line = line[:found[1][0]] + line[found[1][1]:]
        text = line.decode("utf-8", "replace")
        message = normalise(text)
        self.tally.messages[message] += 1
        self.tally.samples.setdefault(message, text)


def _lines_forwards(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each line from the first."""
    start = 0
    while start < len(data):
        end = _line_end(data, start)
        yield start, end
        start = end + 1


def _lines_backwards(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each line from the last."""
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    while end > 0:
        start = data.rfind(b"\n", 0, end) + 1
        yield start, end
        end = start - 1

"""A SQL dump read as its client will read it, before the client runs it: what must not run is refused.

The readers (`pgscript.Psql`, `mysqlscript.Mariadb`) are streaming lexers that follow their client's own
rules line by line, so they see a client command exactly where the client would. This module holds what
they share: chunks in, vetted chunks out, memory bounded, the line being read, and statements that are
kept, held back until it is known whether they go, or dropped (a dropped statement leaves its newlines,
so the client's line numbers stay those of the file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NoReturn

HOLD = 1 << 20  # bytes of one statement held back while deciding whether it is dropped
CARRY = 1 << 16  # bytes a reader may need to see at once (a token cut between two chunks)


class Refused(Exception):
    """The dump holds something a drill must not run; the message names the line and why."""


class Vetting:
    """The shared part of a dialect's reader; a dialect implements `scan`, `classify`, `verdict`, `state` and `steps`."""

    def __init__(self, name: str) -> None:
        """A reader of the dump file `name` (for messages)."""
        self.name = name
        self.line = 1
        self.mode = "wait"  # this statement: wait (first words unknown), keep, hold (decided at its end), drop
        self.words: list[bytes] = []  # its first words, upper case
        self._held: list[bytes] = []
        self._held_size = 0
        self._out: list[bytes] = []
        self._span: tuple[bytes, int, int] | None = None  # bytes taken but not yet passed on: one slice, not many
        self.state = 0
        self.steps: dict[int, Callable[[bytes, int, int, bool], int]] = {}  # state -> reads from i, returns where it got

    def __call__(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The vetted stream; Refused, naming the line, at the first thing the client must not run."""
        carry = b""
        for chunk in chunks:
            if b"\0" in chunk:
                at = chunk.index(b"\0")
                self.refuse("a NUL byte", "a SQL dump holds text, and the client would stop reading the line there",
                            line=self.line + carry.count(b"\n") + chunk.count(b"\n", 0, at))
            data = carry + chunk if carry else chunk
            used = self.scan(data, False)
            self._flush()
            carry = data[used:]
            if len(carry) > CARRY:
                self.refuse("a token longer than 64 KiB", "no dump writes one; the reader cannot judge it")
            if self._out:
                yield b"".join(self._out)
                self._out.clear()
        self.scan(carry, True)
        self._flush()
        self.end_statement()
        if self._out:
            yield b"".join(self._out)

    def scan(self, data: bytes, final: bool) -> int:
        """Read as much of `data` as can be judged now; the bytes used (the rest comes again with more)."""
        raise NotImplementedError

    def classify(self) -> str | None:
        """What to do with the statement now that `words` grew: keep, drop, hold, or None (not known yet)."""
        raise NotImplementedError

    def verdict(self, statement: bytes) -> bool:
        """At the end of a held statement (its bytes): True to drop it."""
        raise NotImplementedError

    def refuse(self, what: str, why: str, line: int | None = None) -> NoReturn:
        """Stop: `what`, on `line` (default: the line being read), is refused, and why."""
        self._flush()
        raise Refused(f"line {self.line if line is None else line} of {self.name}: {what} is refused ({why})")

    def take(self, data: bytes, start: int, end: int) -> None:
        """Pass data[start:end] on to the client (within the statement's fate); adjacent takes make one slice."""
        if end <= start:
            return
        if self._span is not None and self._span[0] is data and self._span[2] == start:
            self._span = (data, self._span[1], end)
            return
        self._flush()
        self._span = (data, start, end)

    def _flush(self) -> None:
        """Pass on what was taken so far (before anything else happens to the stream)."""
        if self._span is not None:
            data, start, end = self._span
            self._span = None
            self.line += data.count(b"\n", start, end)
            self._emit(data[start:end])

    def blank(self, data: bytes, start: int, end: int, filler: bytes = b"") -> None:
        """Leave data[start:end] out, keeping its newlines (the client's line numbers stay the file's)."""
        self._flush()
        lines = data.count(b"\n", start, end)
        self.line += lines
        self._emit(filler + b"\n" * lines)

    def lex_line(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """Run the dialect's `steps` (one per `state`) over one line, or what there is of it; where they stopped."""
        while i < end:
            state = self.state
            j = self.steps[state](data, i, end, hard)
            if j == i and self.state == state:
                return i  # a token continues past the bytes there are: carried to the next chunk
            i = j
        return i

    def take_rest(self, data: bytes, i: int, end: int, hard: bool, cut: bytes) -> int:
        """Take data[i:end], but for a last byte in `cut` that may start a mark going on in the next chunk."""
        stop = end if hard or end == i or data[end - 1] not in cut else end - 1
        self.take(data, i, stop)
        return stop

    def pass_on(self, data: bytes, start: int, end: int) -> None:
        """Pass data[start:end] on whatever the statement around it (COPY data, a client command line)."""
        self._flush()
        self.line += data.count(b"\n", start, end)
        self._out.append(data[start:end])

    def release_blank(self) -> None:
        """Before bytes that pass on: what the undecided statement holds goes first (if it has begun, it stays)."""
        self._flush()
        if self.mode in ("wait", "hold") and self._held:
            held = b"".join(self._held)
            if held.strip():  # dropping the rest later would leave half a statement: it is kept
                self._decide("keep")
            else:
                self._out.append(held)
                self._held, self._held_size = [], 0

    def word(self, word: bytes) -> None:
        """A word of the statement: the first three decide what happens to it."""
        if len(self.words) < 3 and self.mode in ("wait", "hold"):
            self._flush()
            self.words.append(word.upper())
            if self.mode == "wait":
                decided = self.classify()
                if decided is not None:
                    self._decide(decided)

    def settle(self, refused: dict[tuple[bytes, ...], str], dropped: list[tuple[bytes, ...]], hold: bool) -> str | None:
        """A fate from the first words: `refused` prefixes stop the dump (with why), `dropped` ones go, else kept
        (held to its end with `hold`); None while the words so far may still become one of them."""
        words = tuple(self.words)
        for prefix, why in refused.items():
            if words[:len(prefix)] == prefix:
                self.refuse(b" ".join(prefix).decode(), why)
        if any(words[:len(prefix)] == prefix for prefix in dropped):
            return "drop"
        if hold:
            return "hold"
        if any(len(prefix) > len(words) and prefix[:len(words)] == words for prefix in (*dropped, *refused)):
            return None
        return "keep"

    def end_statement(self) -> None:
        """The statement ended: a held one is passed on or dropped now; the next starts undecided."""
        self._flush()
        if self.mode in ("wait", "hold"):
            statement = b"".join(self._held)
            self._decide("drop" if self.verdict(statement) else "keep")
        self.mode, self.words = "wait", []

    def _decide(self, mode: str) -> None:
        """Settle the statement's fate; what was held so far follows it."""
        held, self._held, self._held_size = b"".join(self._held), [], 0
        self.mode = mode
        if mode != "hold" and held:
            self._emit(held)
        elif held:
            self._held, self._held_size = [held], len(held)

    def _emit(self, data: bytes) -> None:
        """Data of the current statement, according to its fate."""
        if self.mode == "keep":
            self._out.append(data)
        elif self.mode == "drop":
            if lines := data.count(b"\n"):
                self._out.append(b"\n" * lines)
        else:
            self._held.append(data)
            self._held_size += len(data)
            if self._held_size > HOLD:  # far longer than any statement that is dropped: it stays
                self._decide("keep")

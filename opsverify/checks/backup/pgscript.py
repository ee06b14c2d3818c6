"""A plain pg_dump read as psql reads it: where psql would run a backslash command, the drill refuses the dump.

The reader follows psql's lexer (src/fe_utils/psqlscan.l) line by line, as psql feeds it: quoted strings,
E'' strings (and their continuation), double-quoted identifiers, dollar quotes, nested /* */ and --
comments (which end at a carriage return too), parentheses, psql's BEGIN ... END tracking in CREATE
FUNCTION, and the data of `COPY ... FROM stdin`, which psql reads from the next line to a `\\.` line and
never interprets. A backslash anywhere else is a psql command and is refused, except the `\\restrict KEY`
and `\\unrestrict KEY` lines pg_dump itself writes: those are left out, because the drill puts psql in its
own restricted mode with a key nobody else knows, and a key written in the file would let the file lift it.

Where psql and this reader could disagree, the dump is refused rather than guessed: a number glued to a
word (psql versions lex it differently), a psql variable (`:NAME`, whose value psql would lex again), a
client_encoding in which a backslash can hide inside a character. psql reads a plain '' string according
to standard_conforming_strings as the server reports it; the reader follows pg_dump's `on`. SQL can turn
it off where no reader can see it (inside a function), so without psql's restricted mode a plain string
with an odd number of backslashes before a quote is refused too (`strict`).

Statements a throwaway role cannot run and a restore does not need are dropped, as `pg_restore --no-owner
--no-privileges` drops them: `ALTER ... OWNER TO`, `GRANT`, `REVOKE`, `ALTER DEFAULT PRIVILEGES`, `SET
SESSION AUTHORIZATION`, `SET ROLE`.
"""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache

from opsverify.checks.backup.vetting import Vetting

CODE, PLAIN, ESCAPED, IDENT, DOLLAR, DASHES, SLASHES, COPY, QUOTE_STOP = range(9)
TOKEN = re.compile(rb"""
    (?P<word>[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[Ee][-+]?\d+)?)
  | (?P<cast>::)
  | (?P<var>:[A-Za-z0-9_\x80-\xff]+)
  | (?P<mark>--|/\*|[\\'"$;()])
""", re.X)
IDENT_START = re.compile(rb"[A-Za-z_\x80-\xff]")
PSQL_VARIABLE = re.compile(rb"[A-Z][A-Z0-9_]*")  # psql's own variables (VERSION, DBNAME, ...) are upper case
DOLLAR_TAG = re.compile(rb"\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$")
DOLLAR_START = re.compile(rb"\$[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*")
BLOCK = re.compile(rb"/\*|\*/")
ESCAPED_BODY = re.compile(rb"(?:[^\\']++|\\.)*+", re.S)  # up to a quote, or a backslash with nothing after it
QUOTE_CONTINUE = re.compile(rb"(?:[ \t\f]|--[^\r\n]*)*\r(?:[ \t\r\f]+|--[^\r\n]*\r)*'")  # psql's {quotecontinue}
QUOTE_MAYBE = re.compile(rb"(?:[ \t\f]|--[^\r\n]*)*(?:\r(?:[ \t\r\f]+|--[^\r\n]*\r?)*)?")
PG_DUMP_KEY = re.compile(rb"\\(?:un)?restrict [A-Za-z0-9]+\r?")
COPY_END = re.compile(rb"\n\\\.\r?\n")
COMMAND = re.compile(rb"\\([A-Za-z]+|[^A-Za-z\s]?)")
ENCODING = re.compile(rb"(?is)\bSET\s+(?:SESSION\s+|LOCAL\s+)?(?:client_encoding\s*(?:=|\bTO\b)|NAMES)\s*'?\"?([\w-]+)")
UNSAFE_ENCODINGS = {"SJIS", "SHIFTJIS", "SHIFT_JIS", "MSKANJI", "WIN932", "SHIFT_JIS_2004", "BIG5", "WIN950", "GBK",
                    "WIN936", "CP936", "UHC", "WIN949", "GB18030", "JOHAB"}  # a trailing byte may be a backslash
HEURISTIC = {b"CREATE": b"C", b"FUNCTION": b"F", b"PROCEDURE": b"P", b"OR": b"O", b"REPLACE": b"R"}
DROPPED = [(b"GRANT",), (b"REVOKE",), (b"ALTER", b"DEFAULT", b"PRIVILEGES"), (b"SET", b"SESSION", b"AUTHORIZATION"),
           (b"SET", b"ROLE")]
ONE_DATABASE = "a backup for a drill must be of one database: dump it without --create"
REFUSED = {(b"CREATE", b"DATABASE"): ONE_DATABASE, (b"DROP", b"DATABASE"): ONE_DATABASE}
ELSEWHERE = "a backup must not direct the drill to another database"
WHY = {"connect": ELSEWHERE, "c": ELSEWHERE,
       "!": "a backup must not run commands on the machine running the drill",
       **dict.fromkeys(("o", "out", "w", "write", "g", "gx", "copy", "lo_export", "s"),
                       "a backup must not write files or start programs on the machine running the drill"),
       **dict.fromkeys(("i", "ir", "include", "include_relative", "lo_import"),
                       "a backup must not read other files on the machine running the drill")}
RESTRICT_SINCE = {13: 22, 14: 19, 15: 14, 16: 10, 17: 6}  # the minor releases that brought \restrict


@lru_cache(maxsize=8)
def restricts(psql: str) -> str | None:
    """The version of this psql when it knows `\\restrict` (13.22, 14.19, 15.14, 16.10, 17.6, 18+), else None."""
    try:
        text = subprocess.run([psql, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)\.(\d+)", text)
    if found is None:
        return None
    major, minor = int(found.group(1)), int(found.group(2))
    return found.group(0) if major >= 18 or minor >= RESTRICT_SINCE.get(major, 10**6) else None


class Psql(Vetting):
    """The reader; `strict` when psql cannot back it up with its restricted mode."""

    def __init__(self, name: str, strict: bool) -> None:
        """A reader of the dump file `name`."""
        super().__init__(name)
        self.strict = strict
        self.state, self.saved = CODE, CODE
        self.paren = self.begin = self.depth = self.idcount = self.copies = self.backslashes = 0
        self.ids: list[bytes] = [b"", b"", b"", b""]
        self.tag = b""
        self.first = self.prev = b""
        self.copy_in = self.owner_to = False
        self.copy_bol = self.at_bol = True
        self.line_start = 0
        self.glued, self.glued_word = -1, b""
        self.steps = {CODE: self._code, PLAIN: self._plain, ESCAPED: self._escaped, IDENT: self._ident,
                      DOLLAR: self._dollar_quoted, DASHES: self._dashes, SLASHES: self._slashes,
                      QUOTE_STOP: self._quote_stop}

    def scan(self, data: bytes, final: bool) -> int:
        """Line by line, as psql reads; COPY data a line at a time until its `\\.` line."""
        i, n = 0, len(data)
        self.line_start, self.glued = (0 if self.at_bol else -1), -1
        while i < n:
            if self.state == COPY:
                j = self._copy(data, i, final)
                if j == i and self.state == COPY:
                    break
                if data[j - 1] == 0x0A:
                    self.line_start = j
                i = j
                continue
            newline = data.find(b"\n", i)
            end = newline if newline >= 0 else n
            j = self.lex_line(data, i, end, newline >= 0 or final)
            if j < end or newline < 0:
                i = j
                break
            self.take(data, newline, newline + 1)
            i = self.line_start = newline + 1
            self._line_end()
        self.at_bol = i == self.line_start
        return i

    def _line_end(self) -> None:
        """psql's line ends: a -- comment ends; a COPY sent on this line reads its data from the next."""
        self.backslashes = 0
        if self.state == DASHES:
            self.state = CODE
        if self.copies:
            self.release_blank()
            self.saved, self.state, self.copy_bol = self.state, COPY, True

    def _code(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """Outside strings and comments: words, numbers, and the marks that change psql's state."""
        found = TOKEN.search(data, i, end)
        if found is None:
            return self.take_rest(data, i, end, hard, b"-/:")
        a, b = found.span()
        kind = found.lastgroup
        if not hard and b == end and kind != "mark":
            self.take(data, i, a)
            return a  # the word or number may go on in the next chunk
        self.take(data, i, a)
        if kind == "word":
            self.take(data, a, b)
            self._word(data[a:b])
            self.glued, self.glued_word = b, data[a:b]
            return b
        if kind == "num" and b < end and IDENT_START.match(data, b):
            self.refuse(f"the number glued to a word {data[a:b + 1].decode('utf-8', 'replace')}...",
                        "psql versions read it differently; no dump writes it")
        if kind == "var" and PSQL_VARIABLE.fullmatch(data, a + 1, b):
            self.refuse(f"the psql variable {data[a:b].decode()}", "psql would read its value as more input")
        if kind != "mark":
            self.take(data, a, b)
            return b
        return self._mark(data, a, b, end, hard)

    def _mark(self, data: bytes, a: int, b: int, end: int, hard: bool) -> int:
        """A comment, quote, dollar, backslash, semicolon or parenthesis at `a`."""
        mark = data[a:b]
        if mark == b"--":
            self.state = DASHES
            return a
        if mark == b"$":
            return self._dollar(data, a, end, hard)
        if mark == b"\\":
            return self._backslash(data, a, end, hard)
        self.take(data, a, b)
        if mark == b"/*":
            self.state, self.depth = SLASHES, 0
        elif mark == b"'":
            escaped = self.glued == a and self.glued_word in (b"E", b"e")
            self.state, self.backslashes = (ESCAPED if escaped else PLAIN), 0
        elif mark == b'"':
            self.state = IDENT
        elif mark == b"(":
            self.paren += 1
        elif mark == b")":
            self.paren = max(0, self.paren - 1)
        elif self.paren == 0 and self.begin == 0:  # ; ends the statement, where psql sends it
            self.idcount = 0
            self.end_statement()
        return b

    def _word(self, word: bytes) -> None:
        """An identifier: psql's BEGIN ... END tracking, COPY ... FROM stdin, OWNER TO, the first words."""
        upper = word.upper()
        if self.idcount == 0:
            self.ids, self.first = [b"", b"", b"", b""], upper
        if self.idcount < 4 and upper in HEURISTIC:
            self.ids[self.idcount] = HEURISTIC[upper]
        self.idcount += 1
        ids = self.ids
        if ids[0] == b"C" and self.paren == 0 and (ids[1] in (b"F", b"P") or (
                ids[1] == b"O" and ids[2] == b"R" and ids[3] in (b"F", b"P"))):
            if upper == b"BEGIN" or (upper == b"CASE" and self.begin >= 1):
                self.begin += 1
            elif upper == b"END" and self.begin > 0:
                self.begin -= 1
        if self.paren == 0:
            self.copy_in |= self.first == b"COPY" and self.prev == b"FROM" and upper == b"STDIN"
            self.owner_to |= self.prev == b"OWNER" and upper == b"TO"
        self.prev = upper
        self.word(upper)

    def _dollar(self, data: bytes, a: int, end: int, hard: bool) -> int:
        """A `$`: a dollar quote's opening tag, or just a dollar."""
        tag = DOLLAR_TAG.match(data, a, end)
        if tag is not None:
            self.take(data, a, tag.end())
            self.state, self.tag = DOLLAR, tag.group()
            return tag.end()
        start = DOLLAR_START.match(data, a, end)
        if not hard and (a + 1 == end or (start is not None and start.end() == end)):
            return a
        self.take(data, a, a + 1)
        return a + 1

    def _backslash(self, data: bytes, a: int, end: int, hard: bool) -> int:
        """A psql command: refused, except pg_dump's own `\\restrict KEY` lines, which are left out."""
        if a == self.line_start:
            if not hard and end - a < 256:
                return a  # the whole line is needed to know
            if PG_DUMP_KEY.fullmatch(data, a, end):
                self.blank(data, a, end)
                return end
        name = COMMAND.match(data, a, end)
        if not hard and name.end() == end and end - a < 64:
            return a  # the command's name may go on in the next chunk
        name = name.group(1).decode("utf-8", "replace")
        self.refuse(f"psql meta-command \\{name}",
                    WHY.get(name, "a backup may hold SQL only; psql's backslash commands are refused"))

    def _plain(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """Inside a '' string (standard_conforming_strings on): it ends at a quote that is not doubled."""
        j = data.find(b"'", i, end)
        if j < 0:
            self.backslashes = self._backslashes_before(data, i, end)
            self.take(data, i, end)
            return end
        self.backslashes = self._backslashes_before(data, i, j)
        if self.strict and self.backslashes % 2:
            self.refuse("a string with an odd number of backslashes before a quote",
                        "psql reads it differently when standard_conforming_strings is off, and psql's restricted "
                        "mode, which would stop what that hides, needs a newer psql")
        return self._quote(data, i, j, end, hard, PLAIN)

    def _escaped(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """Inside an E'' string: a backslash escapes the next byte."""
        j = ESCAPED_BODY.match(data, i, end).end()
        if j < end and data[j] == 0x27:
            return self._quote(data, i, j, end, hard, QUOTE_STOP)
        stop = j if j < end and not hard else end  # a backslash at the end of psql's line escapes nothing on the next
        self.take(data, i, stop)
        return stop

    def _quote(self, data: bytes, i: int, j: int, end: int, hard: bool, after: int) -> int:
        """The quote at `j` in a string: doubled, or the end (then state `after`, or CODE for PLAIN)."""
        if j + 1 == end and not hard:
            self.take(data, i, j)
            return j
        if j + 1 < end and data[j + 1] == 0x27:
            self.take(data, i, j + 2)
            self.backslashes = 0
            return j + 2
        self.take(data, i, j + 1)
        self.state = CODE if after == PLAIN else after
        return j + 1

    def _backslashes_before(self, data: bytes, i: int, j: int) -> int:
        """Backslashes right before `j`, counting those carried from before `i`."""
        k = j
        while k > i and data[k - 1] == 0x5C:
            k -= 1
        return j - k + (self.backslashes if k == i else 0)

    def _quote_stop(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """After an E'' string: psql continues it after a carriage return and a quote on the same line."""
        if i == end:
            return end  # the quote ended psql's line: the next line may still continue it
        more = QUOTE_CONTINUE.match(data, i, end)
        if more is not None:
            self.take(data, i, more.end())
            self.state = ESCAPED
            return more.end()
        if not hard and QUOTE_MAYBE.match(data, i, end).end() == end:
            return i
        self.state = CODE
        return i

    def _ident(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """Inside a "quoted identifier": it ends at a double quote that is not doubled."""
        j = data.find(b'"', i, end)
        if j < 0:
            self.take(data, i, end)
            return end
        if j + 1 == end and not hard:
            self.take(data, i, j)
            return j
        if j + 1 < end and data[j + 1] == 0x22:
            self.take(data, i, j + 2)
            return j + 2
        self.take(data, i, j + 1)
        self.state = CODE
        return j + 1

    def _dollar_quoted(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """Inside a dollar quote: nothing counts but its closing tag."""
        k = data.find(self.tag, i, end)
        if k >= 0:
            self.take(data, i, k + len(self.tag))
            self.state = CODE
            return k + len(self.tag)
        stop = end if hard else max(i, end - len(self.tag) + 1)
        self.take(data, i, stop)
        return stop

    def _dashes(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """A -- comment: to the end of psql's line, or to a carriage return."""
        k = data.find(b"\r", i, end)
        self.take(data, i, end if k < 0 else k)
        if k >= 0:
            self.state = CODE
        return end if k < 0 else k

    def _slashes(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """A /* comment */, which nests."""
        found = BLOCK.search(data, i, end)
        if found is None:
            return self.take_rest(data, i, end, hard, b"/*")
        if found.group() == b"/*":
            self.depth += 1
        elif self.depth == 0:
            self.state = CODE
        else:
            self.depth -= 1
        self.take(data, i, found.end())
        return found.end()

    def _copy(self, data: bytes, i: int, final: bool) -> int:
        """COPY data: psql passes every line on untouched until a line that is exactly `\\.`."""
        if self.copy_bol:
            head = data[i:i + 4]
            for mark in (b"\\.\n", b"\\.\r\n"):
                if head.startswith(mark):
                    self.pass_on(data, i, i + len(mark))
                    self.copies -= 1
                    if not self.copies:
                        self.state = self.saved
                    return i + len(mark)
            if not final and len(head) < 4 and (b"\\.\n".startswith(head) or b"\\.\r\n".startswith(head)):
                return i
        found = COPY_END.search(data, i)
        last = found.start() if found is not None else data.rfind(b"\n", i)
        if last >= 0:
            self.pass_on(data, i, last + 1)
            self.copy_bol = True
            return last + 1
        self.pass_on(data, i, len(data))
        self.copy_bol = False
        return len(data)

    def classify(self) -> str | None:
        """Refuse a statement that leaves the database; drop what a throwaway role cannot run; else keep."""
        hold = self.words[0] == b"ALTER" or self.words[:2] in ([b"SET", b"CLIENT_ENCODING"], [b"SET", b"NAMES"])
        return self.settle(REFUSED, DROPPED, hold)

    def verdict(self, statement: bytes) -> bool:
        """ALTER ... OWNER TO and ALTER DEFAULT PRIVILEGES go; a client_encoding that hides backslashes is refused."""
        encoding = ENCODING.search(statement)
        if encoding is not None and encoding.group(1).decode("ascii", "replace").upper() in UNSAFE_ENCODINGS:
            self.refuse(f"client_encoding {encoding.group(1).decode()}",
                        "in it a backslash can hide inside a character; dump with pg_dump -E UTF8")
        return self.words[:1] == [b"ALTER"] and (self.owner_to or self.words == [b"ALTER", b"DEFAULT", b"PRIVILEGES"])

    def end_statement(self) -> None:
        """A COPY ... FROM stdin reads its data from the next line; the next statement starts afresh."""
        if self.copy_in:
            self.copies += 1
        super().end_statement()
        self.copy_in = self.owner_to = False
        self.first = self.prev = b""

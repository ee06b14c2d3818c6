"""A mysqldump / mariadb-dump read as the mariadb client reads it: client commands are refused.

The reader follows the client's own line reader (client/mysql.cc, `add_line`): '' and "" strings with
backslash escapes, `backticks`, # and -- comments, /* */ comments, /*! */ and /*M! */ versioned comments
(their content is code), and DELIMITER lines. A backslash outside a string is a client command (`\\!`,
`\\r`, `\\.` ...) and is refused; so is a statement that starts with a client command's name (`system`,
`connect`, `source`, `tee`, `pager`, `use` ...), wherever it starts, and one that leaves the throwaway
database (`USE`, `CREATE DATABASE`, `DROP DATABASE`) or reads files (`LOAD DATA`). The line mariadb-dump
writes first, `/*M!999999\\- enable the sandbox mode */`, is left out: the drill runs the client with
`--sandbox` itself.

The client reads strings according to the server's NO_BACKSLASH_ESCAPES and ANSI_QUOTES modes, so a
statement that names them is refused. Statements a drill user cannot run and a restore does not need are
dropped (`SET GLOBAL`, `SET sql_log_bin`, `CHANGE MASTER`), and `DEFINER=user@host` clauses are taken out
so that views, triggers and routines belong to the drill user, as the privileges of a throwaway user need.
"""

from __future__ import annotations

import re

from opsverify.checks.backup.vetting import Vetting

CODE, STRING, COMMENT, BLOCK = range(4)
WORD = rb"(?P<word>[A-Za-z0-9_$\x80-\xff]+)"
WORD_BYTES = bytes(c for c in range(256) if chr(c).isascii() and (chr(c).isalnum() or c in b"_$") or c >= 0x80)
MARKS = rb"(?P<mark>#|--|/\*M!|/\*!|/\*\+|/\*|\*/|['\"`])"
PLAIN_LINES = re.compile(rb"""(?:(?:[^'"`\\\#/*;\n-]++|'[^'\\\n]*+(?:\\.[^'\\\n]*+)*+'|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"
                           |`[^`\n]*+`|-(?!-)|/(?!\*)|\*(?!/))*+\n)*""", re.X)  # whole lines of code and strings: nothing for the client
DEFINER_WORD = re.compile(rb"(?i)definer")
COMMENT_MARK = re.compile(rb"/\*|\*/")
BOM = b"\xef\xbb\xbf"
SANDBOX = re.compile(rb"[ \t]*/\*M!999999\\- enable the sandbox mode \*/[ \t\r]*")
LINE_COMMAND = re.compile(rb"[ \t\r\f]*([A-Za-z_]+)(?:[ \t]+(\S*))?")
DEFINER = re.compile(rb"""(?ix)DEFINER\s*=\s*
    (?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|[\w$.]+)\s*@\s*
    (?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|[\w$.%-]+)""")
UNSAFE_SET = re.compile(rb"(?i)\b(NO_BACKSLASH_ESCAPES|ANSI_QUOTES|SQL_MODE\b.*\b(?:ANSI|DB2|MAXDB|MSSQL|ORACLE|"
                        rb"POSTGRESQL)|(?:NAMES|CHARACTER\s+SET|CHARSET|CHARACTER_SET_CLIENT)\b.*\b(?:BIG5|CP932|GBK|"
                        rb"SJIS|GB18030))\b", re.S)
ELSEWHERE = "a backup must not direct the drill to another database"
FILES = "a backup must not read or write files or start programs on the machine running the drill"
CLIENT = {**dict.fromkeys((b"USE", b"CONNECT"), ELSEWHERE),
          b"SYSTEM": "a backup must not run commands on the machine running the drill",
          **dict.fromkeys((b"SOURCE", b"TEE", b"PAGER", b"EDIT"), FILES),
          **dict.fromkeys((b"CHARSET", b"NOTEE", b"NOPAGER", b"EXIT", b"QUIT", b"PROMPT", b"REHASH", b"PRINT",
                           b"STATUS", b"WARNINGS", b"NOWARNING", b"GO", b"EGO", b"HELP", b"CLEAR",
                           b"RESETCONNECTION", b"DELIMITER"),
                          "a backup may hold SQL only; the client's own commands are refused")}
BACKSLASH = {b"!": CLIENT[b"SYSTEM"], b"r": ELSEWHERE, b"u": ELSEWHERE, b".": FILES, b"T": FILES, b"e": FILES}
STRING_BODY = {b"'": re.compile(rb"(?:[^'\\]++|\\.)*+", re.S), b'"': re.compile(rb'(?:[^"\\]++|\\.)*+', re.S),
               b"`": re.compile(rb"[^`]*")}  # up to the closing quote, or a backslash with nothing after it
ONE_DATABASE = "a backup for a drill must be of one database: dump it without --databases or --all-databases"
REFUSED = {(b"CREATE", b"DATABASE"): ONE_DATABASE, (b"CREATE", b"SCHEMA"): ONE_DATABASE,
           (b"DROP", b"DATABASE"): ONE_DATABASE, (b"DROP", b"SCHEMA"): ONE_DATABASE,
           (b"LOAD", b"DATA"): FILES, (b"LOAD", b"XML"): FILES}
DROPPED = [(b"SET", b"GLOBAL"), (b"SET", b"SQL_LOG_BIN"), (b"SET", b"SESSION", b"SQL_LOG_BIN"), (b"CHANGE", b"MASTER"),
           (b"CHANGE", b"REPLICATION")]


class Mariadb(Vetting):
    """The reader, with the client's current DELIMITER."""

    def __init__(self, name: str) -> None:
        """A reader of the dump file `name`."""
        super().__init__(name)
        self.state, self.quote, self.empty, self.at_bol = CODE, b"", True, True
        self.versioned = False  # inside /*! ... */ on this line: the client's ss_comment
        self._delimiter(b";")
        self.steps = {CODE: self._code, STRING: self._string, COMMENT: self._comment, BLOCK: self._block}

    def _delimiter(self, delimiter: bytes) -> None:
        """A new statement delimiter (DELIMITER ;; in a dump with triggers or routines)."""
        self.delimiter = delimiter
        head = rb"(?P<backslash>\\)|(?P<end>" + re.escape(delimiter) + rb")|"
        self.token = re.compile(head + WORD + b"|" + MARKS)
        self.quick = re.compile(head + rb"(?P<word>(?i:\bDEFINER\b))|" + MARKS)  # once the first words are known

    def scan(self, data: bytes, final: bool) -> int:
        """Line by line, as the client reads."""
        i, n = 0, len(data)
        if self.line == 1 and self.at_bol and data.startswith(BOM):
            self.take(data, 0, len(BOM))  # the client skips a byte order mark
            i = len(BOM)
        while i < n:
            if self.state == CODE and self.mode == "keep" and self.at_bol:  # rows of an INSERT, many lines at once
                j = PLAIN_LINES.match(data, i).end()
                if j > i and DEFINER_WORD.search(data, i, j) is None and data.find(self.delimiter, i, j) < 0:
                    self.take(data, i, j)
                    i = j
                    continue
            newline = data.find(b"\n", i)
            end = newline if newline >= 0 else n
            hard = newline >= 0 or final
            if self.at_bol and self.state == CODE and self.empty:
                if not hard and end - i < 4096:
                    break  # the whole line is needed to know whether it is a client command
                if self._client_line(data, i, end):
                    i = end
            j = self.lex_line(data, i, end, hard)
            if j < end or newline < 0:
                self.at_bol = self.at_bol and j == i
                i = j
                break
            self.take(data, newline, newline + 1)
            i, self.at_bol, self.versioned = newline + 1, True, False
            if self.state == COMMENT:
                self.state = CODE
        return i

    def _client_line(self, data: bytes, i: int, end: int) -> bool:
        """A line the client reads as its own command: DELIMITER passes, the sandbox line is left out, others are refused."""
        if SANDBOX.fullmatch(data, i, end):
            self.blank(data, i, end)
            return True
        command = LINE_COMMAND.match(data, i, end)
        if command is None:
            return False
        name = command.group(1).upper()
        if name == b"DELIMITER":
            delimiter = command.group(2) or b""
            if not delimiter or any(c in delimiter for c in b"\\'\"`"):
                self.refuse(f"DELIMITER {delimiter.decode('utf-8', 'replace')!r}",
                            "a delimiter is a plain string without quotes or backslashes")
            self.release_blank()
            self.pass_on(data, i, end)
            self._delimiter(delimiter)
            return True
        if name in CLIENT and self.delimiter not in data[i:end]:  # with one, the client sends the line as SQL
            self.refuse(f"mariadb client command {name.decode().lower()}", CLIENT[name])
        return False

    def _code(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """Outside strings and comments."""
        words = self.mode in ("wait", "hold") and len(self.words) < 3
        found = (self.token if words else self.quick).search(data, i, end)
        a = found.start() if found is not None else end
        if a > i and data[i:a].strip():
            self.empty = False
        if found is None:
            # a mark, or a word (DEFINER), may be cut at the chunk's end: keep it for the next
            word = len(data[i:end]) - len(data[i:end].rstrip(WORD_BYTES))
            stop = end if hard or end == i else max(i, end - max(len(self.delimiter) + 3, word))
            self.take(data, i, stop)
            return stop
        b, kind = found.end(), found.lastgroup
        if not hard and b + 4 > end and kind not in ("backslash", "end"):
            self.take(data, i, a)
            return a  # the token may go on, or mean more, with the next chunk
        self.take(data, i, a)
        if kind == "backslash":
            if not hard and a + 1 == end:
                return a
            self.refuse(f"mariadb client command {data[a:a + 2].decode('utf-8', 'replace')}",
                        BACKSLASH.get(data[a + 1:a + 2], CLIENT[b"GO"]))
        if kind == "end":
            self.take(data, a, b)
            self.end_statement()
            self.empty = True
            return b
        if kind == "word":
            return self._word(data, a, b, end, hard)
        return self._mark(data, a, b, end, hard)

    def _word(self, data: bytes, a: int, b: int, end: int, hard: bool) -> int:
        """A word: the first ones classify the statement; a DEFINER=user@host clause is taken out."""
        word = data[a:b].upper()
        if word == b"DEFINER":
            clause = DEFINER.match(data, a, end)
            if clause is not None:
                self.blank(data, a, clause.end(), filler=b" ")
                return clause.end()
            if not hard and end - a < 1024:
                return a
        self.empty = False
        self.take(data, a, b)
        self.word(word)
        return b

    def _mark(self, data: bytes, a: int, b: int, end: int, hard: bool) -> int:
        """A comment, a versioned comment's bounds, or a quote at `a` (as the client's add_line sees them)."""
        mark = data[a:b]
        if mark == b"--" and not self.empty and b < end and data[b] not in b" \t\r\f\v":
            self.take(data, a, a + 1)  # -- is a comment before a blank or at a statement's start; else a minus
            self.empty = False
            return a + 1
        if mark in (b"#", b"--"):
            self.state = COMMENT
            return a
        if mark == b"/*+":
            self.refuse("an optimizer hint comment", "MariaDB and MySQL clients read it differently; no dump writes it")
        if mark == b"*/":  # code to the client; it ends a /*! on this line
            self.versioned, self.empty = False, False
            self.take(data, a, a + 1)
            return a + 1
        self.take(data, a, b)
        if mark == b"/*":
            self.state = BLOCK
        elif mark.startswith(b"/*"):
            self.versioned |= mark == b"/*!"
            self.empty = False  # a versioned comment: its content is code
        else:
            self.state, self.quote, self.empty = STRING, mark, False
        return b

    def _string(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """Inside a quoted string or `identifier`; a backslash escapes the next byte except in backticks."""
        j = STRING_BODY[self.quote].match(data, i, end).end()
        if j < end and data[j:j + 1] == self.quote:
            self.take(data, i, j + 1)
            self.state = CODE
            return j + 1
        stop = j if j < end and not hard else end  # a backslash at the end of the line escapes nothing on the next
        self.take(data, i, stop)
        return stop

    def _comment(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """A # or -- comment: the client skips the rest of the line."""
        self.take(data, i, end)
        return end

    def _block(self, data: bytes, i: int, end: int, hard: bool) -> int:
        """A /* comment */: not nested, but a /*! inside keeps the next */ from ending it (the client's ss_comment)."""
        found = COMMENT_MARK.search(data, i, end)
        if found is None:
            return self.take_rest(data, i, end, hard, b"/*")
        j = found.start()
        if not hard and j + 3 >= end:
            self.take(data, i, j)
            return j
        if found.group() == b"*/" and not self.versioned:
            self.take(data, i, j + 2)
            self.state = CODE
            return j + 2
        if found.group() == b"*/" or data[j + 2:j + 3] == b"!" or data[j + 2:j + 4] == b"M!":
            self.versioned = found.group() == b"/*" and (self.versioned or data[j + 2:j + 3] == b"!")
            self.take(data, i, j + 1)  # one character on: the client read only this one
            return j + 1
        self.take(data, i, j + 2)  # /* in a comment: still one comment
        return j + 2

    def classify(self) -> str | None:
        """Refuse client commands and statements that leave the database; drop what a drill user cannot run."""
        words = tuple(self.words)
        if words[0] in CLIENT:
            what = "USE" if words[0] == b"USE" else f"mariadb client command {words[0].decode().lower()}"
            self.refuse(what, CLIENT[words[0]])
        return self.settle(REFUSED, DROPPED, words[0] == b"SET")

    def verdict(self, statement: bytes) -> bool:
        """A SET that would change how the client reads strings is refused; SET GLOBAL and the like are dropped."""
        unsafe = UNSAFE_SET.search(statement)
        if unsafe is not None:
            self.refuse(f"SET ... {unsafe.group(1).split()[-1].decode('utf-8', 'replace')}",
                        "it changes how the client reads strings and backslashes")
        words = tuple(self.words)
        return any(words[:len(p)] == p for p in DROPPED)

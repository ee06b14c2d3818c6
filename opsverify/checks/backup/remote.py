"""Integrity on a host: the format's own tools run there (gzip -t, tar, unzip -t, pg_restore, sqlite3)."""

from __future__ import annotations

import shlex

from opsverify.checks.backup import formats
from opsverify.checks.backup.files import LONG_COMMAND, BackupFile, HostStore
from opsverify.checks.backup.streams import HEAD, compression, content, encryption

_TESTERS = {"gzip": "gzip", "bzip2": "bzip2", "xz": "xz", "zstd": "zstd", "lz4": "lz4"}


def inspect(store: HostStore, file: BackupFile, declared: str) -> formats.Finding:
    """Like formats.inspect, with the reading done on the host by its own tools."""
    path = shlex.quote(file.path)
    head = store.small(file.path, HEAD) or b""
    if (locked := encryption(head)) is not None:
        return formats.Finding("encrypted", f"{locked}-encrypted", [], "encrypted")
    layer = compression(head)
    layers = [layer] if layer else []
    stream = f"cat -- {path}"
    if layer:
        tool = _TESTERS[layer]
        problem = _fails(store, f"{tool} -t -- {path}")
        if problem is not None:
            return formats.Finding("corrupt", f"{tool} -t: {problem}", layers, "")
        stream = f"{tool} -dc -- {path}"
        head = store.checked(f"{stream} | head -c {HEAD}", f"reading {file.path}", LONG_COMMAND).stdout_bytes
        if (locked := encryption(head)) is not None:
            return formats.Finding("encrypted", f"{locked}-encrypted", layers, "encrypted")
    finding = formats.Finding("ok", "", layers, content(head))
    if (problem := formats.mismatch(declared, finding)) is not None:
        finding.status, finding.detail = "corrupt", problem
        return finding
    finding.status, finding.detail = _content(store, finding, stream, file, declared)
    return finding


def _content(store: HostStore, finding: formats.Finding, stream: str, file: BackupFile,
             declared: str) -> tuple[str, str]:
    """(status, detail) of the content behind the compression layer."""
    kind, tools, path = finding.kind, "+".join(finding.layers), shlex.quote(file.path)
    if declared == "gzip":
        return "ok", "gzip -t: CRC and length match"
    if kind == "tar":
        return _verdict(_fails(store, f"{stream} | tar -tf - >/dev/null"), "tar -t: every member header read")
    if kind == "zip":
        return _verdict(_fails(store, f"unzip -tqq -- {path}"), "unzip -t: every member passes its CRC check")
    if kind == "pg_custom":
        restore = f"{stream} | pg_restore -f /dev/null" if finding.layers else f"pg_restore -f /dev/null {path}"
        return _verdict(_fails(store, restore), "pg_restore -f /dev/null: every data block read")
    if kind == "sqlite":
        if finding.layers:
            return "unverifiable", f"a {tools}-compressed SQLite database is checked only on this machine or S3"
        uri = shlex.quote(f"file:{file.path}?mode=ro&immutable=1")
        done = store.checked(f"sqlite3 {uri} 'PRAGMA integrity_check'", "sqlite3", LONG_COMMAND)
        rows = done.stdout.split("\n")
        return ("ok", "sqlite3: PRAGMA integrity_check ok") if done.stdout.strip() == "ok" else \
            ("corrupt", f"PRAGMA integrity_check found problems; first: {rows[0]}")
    tail = store.checked(f"{stream} | tail -c 65536", "reading the end of the dump", LONG_COMMAND).stdout_bytes
    problem = formats.trailer_problem(kind, tail)
    if problem is not None:
        return "corrupt", problem
    if kind in ("binary", "text") and not finding.layers:
        return "unverifiable", f"it is {finding.described}, which has no structure opsverify can check"
    return "ok", f"{formats.noun(kind)} read to its end" + (f" ({tools} -t passed)" if tools else "")


def _fails(store: HostStore, command: str) -> str | None:
    """Run a checking command there; its first error line when it fails, else None.

    In a pipeline the last command decides: tar and pg_restore fail on a stream that ends early.
    """
    done = store.run(command, LONG_COMMAND)
    if done.rc == 0:
        return None
    text = (done.stderr or done.stdout).strip()
    if "not found" in text and done.rc == 127:
        return f"the tool is not installed on {store.name} ({text.splitlines()[-1]})"
    return text.splitlines()[0] if text else f"exit status {done.rc}"


def _verdict(problem: str | None, ok: str) -> tuple[str, str]:
    """(status, detail) from a tool's outcome."""
    return ("ok", ok) if problem is None else ("corrupt", problem)

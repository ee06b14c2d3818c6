"""Old files left in a folder (temporary files a cleanup job should remove): none older than `max_age`.

One `find` on the host (GNU find: it needs -printf) lists the files with their times and an `awk`
there adds them up, so a folder of many files sends back two lines. Ages are taken on the host's clock.
"""

from __future__ import annotations

from typing import cast

from opsverify.checks import CheckError, probe, timeout_of
from opsverify.checks.host import OnHost, run
from opsverify.result import Result, failed, passed, warning
from opsverify.spec.models.hosts import OldFiles
from opsverify.spec.units import format_bytes, format_seconds

SEARCH = 60.0  # seconds a search may take at least: a folder can hold many files
UNREADABLE = 5  # unreadable folders named in a reason at most
# $1 folder, $2 max_age, $3 warning age, $4 find's size test (or nothing), $5 T (modified) or A (accessed).
# Prints "now files over bytes_over warned find_rc", then "time size path" of the oldest file.
SCRIPT = r"""now=$(date +%s)
{ find "$1" -xdev -type f $4 -printf "%$5@ %s %p\n"; echo "find-exit $?"; } | awk -v now="$now" -v max="$2" -v warn="$3" '
/^find-exit / { rc = $2; next }
{ n++; t = $1 + 0; age = now - t
  if (age > max) { over++; bytes += $2 }
  if (age > warn) warned++
  if (n == 1 || t < oldest) { oldest = t; line = $0 } }
END { printf "%d %d %d %.0f %d %d\n%s\n", now, n, over, bytes, warned, rc, line }'"""


@probe
def old_files(entry: OnHost) -> Result:
    """Count the files under the folder older than max_age (and warn_max_age); name the oldest and its age."""
    host, spec = entry.host, cast(OldFiles, entry.item)
    warn_age = spec.warn_max_age if spec.warn_max_age is not None else spec.max_age
    size = f"-size +{int(spec.min_size) - 1}c" if spec.min_size else ""
    out = run(host, "sh -c %s sh %s %s %s %s %s", SCRIPT, spec.path, f"{float(spec.max_age):g}",
              f"{float(warn_age):g}", size, "A" if spec.age_by == "accessed" else "T",
              limit=max(SEARCH, float(timeout_of(host))))
    head, _, oldest_line = out.stdout.partition("\n")
    try:
        now, total, over, size_over, warned, find_rc = (int(v) for v in head.split())
    except ValueError:
        raise CheckError(f"cannot search {spec.path} on {host.name}: {_last(out.stderr) or 'no answer from find'}") \
            from None
    problems = [line for line in out.stderr.splitlines() if line.strip()]
    if find_rc != 0 and any(f"'{spec.path}'" in line for line in problems):
        raise CheckError(f"cannot search {spec.path} on {host.name}: {_last(out.stderr).rsplit(': ', 1)[-1]}")
    unreadable = [line.split("'")[1] if line.count("'") >= 2 else line for line in problems
                  if not line.endswith("No such file or directory")]  # a file removed while find ran is no problem
    stamp, _, rest = oldest_line.strip().partition(" ")
    oldest_path = rest.partition(" ")[2]
    age = max(now - float(stamp), 0.0) if stamp else 0.0
    evidence = {"folder": spec.path, "files": total, "older_than_max_age": over, "bytes_older": size_over,
                "oldest": oldest_path or None, "oldest_age": format_seconds(age) if total else None,
                "unreadable": unreadable[:100]}
    kw = dict(value=round(age), unit="s", limit=str(spec.max_age), evidence=evidence)
    where = f"under {spec.path} on {host.name}"
    by = "" if spec.age_by == "modified" else " by access time"
    if over or warned:
        count = over or warned
        said = (f"{_files(count, spec)} {where} {'is' if count == 1 else 'are'} older than "
                + (f"{spec.max_age}{by} ({format_bytes(size_over)} in all)" if over else
                   f"{warn_age}{by} (warning level; limit {spec.max_age})")
                + f"; the oldest, {oldest_path}, is {format_seconds(age)} old{_skipped(unreadable)}")
        return (failed if over else warning)(said, **kw)
    held = f"{_files(total, spec)}, the oldest {format_seconds(age)} old" if total else _files(0, spec)
    said = f"no file {where} is older than {spec.max_age}{by} ({held}){_skipped(unreadable)}"
    return (warning if unreadable else passed)(said, **kw)


def _files(count: int, spec: OldFiles) -> str:
    """`1 file`, `3 files of at least 10MB`, `no files`."""
    noun = "file" if count == 1 else "files"
    return f"{count or 'no'} {noun}" + (f" of at least {spec.min_size}" if spec.min_size else "")


def _skipped(unreadable: list[str]) -> str:
    """The reason's note on folders find could not read (their files were not seen)."""
    if not unreadable:
        return ""
    more = f" and {len(unreadable) - UNREADABLE} more" if len(unreadable) > UNREADABLE else ""
    return (f"; {len(unreadable)} {'folder' if len(unreadable) == 1 else 'folders'} could not be read "
            f"(their files were not seen; connect as root with ?sudo=true): {', '.join(unreadable[:UNREADABLE])}{more}")


def _last(text: str) -> str:
    """The last non-empty line of a command's output."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""

"""The run in the archive: its folder checked and made before any check; at the end results.json first, then the
reports, then the manifest entry. The user's --html and --junitxml keep their paths; the archive copies them."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from opsverify.archive import manifest, nofollow, preflight
from opsverify.archive.unfinished import report_flaw
from opsverify.plugin import aftermath, record
from opsverify.plugin.session import Run

ARCHIVE_FAILED = 6  # exit status: the checks ran, but the archive could not take the whole run (disk full, read-only)
REPORTS = {"junit.xml": ("junitxml", "xmlpath"), "report.html": ("html", "htmlpath")}  # smaller first; -> (plugin, option)
EMPTY = ("no check ran (a -k or -m that selects nothing, or pytest-xdist's -n, whose workers run no opsverify "
         "check): this run is archived but counts as no cadence's run")


def open_folder(run: Run, config: pytest.Config) -> None:
    """Before any check: the archive can take the run (else a usage error, or exit 6 for a full disk); its folder."""
    try:
        run.run_dir = preflight.prepare(run.reports, run.name, run.label, run.started)
    except preflight.Unusable as exc:
        raise pytest.UsageError(f"opsverify: {exc}") from None
    except preflight.NoRoom as exc:
        pytest.exit(f"opsverify: {exc}", returncode=ARCHIVE_FAILED)
    run.staging = Path(tempfile.mkdtemp(prefix="opsverify-reports-"))
    for name, (plugin, option) in REPORTS.items():
        if not config.pluginmanager.hasplugin(plugin):
            run.notes.append(f"{name} is not archived: pytest's {plugin} plugin is disabled (-p no:{plugin})")
            continue
        if not getattr(config.option, option, None):  # the user's own path is kept; the archive copies it
            setattr(config.option, option, str(run.staging / name))
        run.reports_written[name] = _absolute(getattr(config.option, option))
    if "report.html" in run.reports_written:
        config.option.self_contained_html = True  # one file the manifest can vouch for


def finish(run: Run, config: pytest.Config, status: int, unwritten: OSError | None) -> int:
    """Build the record; archive it and the reports, rebuild the index; notify. Returns the exit status.

    `unwritten` is the error pytest-html or JUnit raised writing its report (a full disk): the run is still
    archived without that report, and the exit status is 6.
    """
    if not run.checks:
        run.notes.append(EMPTY)
    written = {}
    for name, path in run.reports_written.items():
        if flaw := report_flaw(path):  # not written, or cut short by a full disk
            run.notes.append(f"{flaw}: it is not archived" + (f" ({_said(unwritten)})" if unwritten else ""))
        else:
            written[name] = path
    entry = record.build(run, config, status, dt.datetime.now(dt.timezone.utc), sorted(written))
    if unwritten is not None:
        run.archive_error = f"a report could not be written ({_said(unwritten)}); the run is archived without it"
    archived = False
    if run.run_dir is not None:
        try:
            _archive(run, entry, written)
            archived = True
        except (OSError, nofollow.Planted, manifest.ManifestError) as exc:
            run.archive_error = _failure(run, exc)
    if archived:
        _point_closing_lines(config, run, set(written))
        aftermath.rebuild_index(run)
    aftermath.send_notifications(run, entry, _report(run, config, written, archived))
    return ARCHIVE_FAILED if run.archive_error else status


def _report(run: Run, config: pytest.Config, written: dict[str, Path], archived: bool) -> Path | str:
    """The HTML report a notification names: the archived copy, else the user's own --html file."""
    if archived and run.run_dir is not None and "report.html" in written:
        return run.run_dir / "report.html"
    given = getattr(config.option, "htmlpath", None)
    if given and _absolute(given).is_file() and _absolute(given).parent != run.staging:
        return _absolute(given)
    return "no HTML report was archived"


def _archive(run: Run, entry: dict[str, Any], written: dict[str, Path]) -> None:
    """results.json (small, first), then each report copied in, each atomically; then the manifest entry."""
    assert run.run_dir is not None
    doing = "results.json"
    try:
        with nofollow.folder(run.reports, *run.run_dir.relative_to(run.reports).parts) as fd:
            nofollow.write(fd, "results.json", [record.dumps(entry)])
            for name, source in written.items():
                doing = name
                nofollow.write(fd, name, nofollow.chunks_of(source))
        doing = "the manifest entry"
        summary = {"environment": run.name, "label": run.label, "demo": run.demo is not None,
                   "exit_status": entry["exit_status"], "counts": entry["counts"]}
        manifest.append(run.reports, run.run_dir, summary=summary, key=manifest.archive_key())
    except (OSError, nofollow.Planted, manifest.ManifestError) as exc:
        exc.add_note(doing)
        raise


def _failure(run: Run, exc: Exception) -> str:
    """One line: what failed, what the run folder holds now, and how to mark it."""
    assert run.run_dir is not None
    folder = run.run_dir.relative_to(run.reports).as_posix()
    doing = (getattr(exc, "__notes__", None) or ["the run"])[-1]
    held = sorted(p.name for p in run.run_dir.iterdir() if not p.is_symlink()) if run.run_dir.is_dir() else []
    fix = "Remove the link" if isinstance(exc, nofollow.Planted) else \
        "Repair the manifest (opsverify archive verify says how)" if isinstance(exc, manifest.ManifestError) \
        else "Make room"
    return (f"the run could not be archived: {_said(exc)} (writing {doing}); {run.run_dir} holds "
            f"{', '.join(held) or 'nothing'} and has no manifest entry. {fix}, then mark it: "
            f"opsverify archive quarantine {folder} --reason '...'")


def _said(exc: BaseException | None) -> str:
    """An OS error as `No space left on device` (without the path the caller names), else its message."""
    return str(getattr(exc, "strerror", None) or exc)


def _absolute(path: str) -> Path:
    """An option's path as pytest-html and JUnit resolve it (~, $VARS, relative to the working folder)."""
    return Path(os.path.abspath(os.path.expanduser(os.path.expandvars(path))))


def _point_closing_lines(config: pytest.Config, run: Run, archived: set[str]) -> None:
    """pytest-html and JUnit end by naming the file they wrote: name the archived copy, not the staged one."""
    assert run.run_dir is not None and run.staging is not None
    for plugin in config.pluginmanager.get_plugins():
        for attribute in ("_report_path", "logfile"):  # pytest-html's report; JUnit's LogXML
            staged = getattr(plugin, attribute, None)
            if isinstance(staged, (str, Path)) and Path(staged).parent == run.staging and Path(staged).name in archived:
                setattr(plugin, attribute, type(staged)(run.run_dir / Path(staged).name))

"""pytest hooks: options, markers, parametrization from the environment, outcomes, the archived run."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from opsverify.checks import WARNING_FILTER, prepared
from opsverify.plugin import (aftermath, archiving, feeds, html, markers, options, outcome, record, restart, stop,
                              terminal)
from opsverify.plugin.params import MARK, params, spec_of
from opsverify.plugin.session import RUN_KEY, Run, open_run
from opsverify.plugin.waivers import terms
from opsverify.result import Result
from opsverify.spec.secret import scrub

RESULT_KEY = pytest.StashKey[Result]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None, None, None]:
    """The earliest hook, before output is captured: restart pytest if `--env FILE` hid the checkout's pytest.ini."""
    restart.if_spaced(early_config)
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARK}(spec): an opsverify check over environment items (use opsverify.check)")
    config.addinivalue_line("filterwarnings", WARNING_FILTER)
    markers.register(config)
    if hasattr(config, "workerinput") or config.option.help or not options.checklist_run(config):
        return
    feeds.configure(config)
    run = open_run(config)
    config.stash[RUN_KEY] = run
    if run.archive:
        archiving.open_folder(run, config)
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(html.HtmlReport(run, config), "opsverify-html")


def _run(config: pytest.Config) -> Run | None:
    return config.stash.get(RUN_KEY, None)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    run = _run(session.config)
    if run is None:
        return
    stop.on_terminate(session.config)
    session.config.get_terminal_writer().line(terminal.banner(run), yellow=bool(run.demo), bold=True)
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    session.config.stash[metadata_key] = html.metadata(run, session.config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    spec = spec_of(metafunc.definition)
    run = _run(metafunc.config)
    if spec is None or run is None or "result" not in metafunc.fixturenames:
        return
    metafunc.parametrize("result", params(spec, run.environment), indirect=True)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Remember every collected test (before -m and -k deselect), for matching waivers."""
    run = _run(item.config)
    if run is not None:
        run.collected.append(item.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop checks whose section has no items, rather than showing them as skipped."""
    empty = [i for i in items if spec_of(i) and not hasattr(i, "callspec")]
    if empty:
        items[:] = [i for i in items if i not in empty]
        config.hook.pytest_deselected(items=empty)
    items.sort(key=_loads_the_target)  # restore drills and load tests last, once the other probes are done


def _loads_the_target(item: pytest.Item) -> bool:
    """Whether a test writes or loads (a maintenance-window check): such tests run last, unprefetched."""
    spec = spec_of(item)
    return bool(spec and spec.window)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start every selected check at once; each test then waits only for its own probe."""
    run = _run(session.config)
    if run is None or session.config.option.collectonly:
        return
    probes = []
    for item in session.items:
        spec = spec_of(item)
        checked = getattr(item, "callspec", None) and item.callspec.params.get("result")
        run.checks[item.nodeid] = record.check_entry(item, spec and spec.area, checked,
                                                     getattr(checked, "severity", None))
        if spec is not None and checked is not None and not spec.window:
            prepared(spec.check, checked)  # imports, drivers, SSL contexts: done before any probe is timed
            probes.append((item.nodeid, spec, checked))
    for nodeid, spec, checked in probes:
        run.pool.submit(nodeid, spec.check, checked, run.context(nodeid))
    if run.waivers is not None:
        for note in run.waivers.review(run.collected):
            run.notes.append(note)
            session.config.get_terminal_writer().line(f"opsverify: warning: {note}", yellow=True)


@pytest.fixture
def result(request: pytest.FixtureRequest) -> Result:
    """The Result of this test's check on its item (prefetched on the probe pool)."""
    run, spec = _run(request.config), spec_of(request.node)
    if run is None or spec is None:
        pytest.fail("the result fixture is for tests marked with opsverify.check", pytrace=False)
    nodeid = request.node.nodeid
    found = run.pool.result(nodeid, spec.check, request.param, run.context(nodeid))
    run.checks[nodeid]["duration_s"] += run.pool.elapsed(nodeid)  # the probe ran before the test: count its time
    request.node.stash[RESULT_KEY] = found
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    run = _run(item.config)
    entry = run.checks.get(item.nodeid) if run else None
    if entry is None or (report.when != "call" and report.passed):
        return report
    found = item.stash.get(RESULT_KEY, None)
    if found is not None:
        entry.update(outcome.as_dict(found))
    entry["outcome"] = outcome.record_outcome(report, {"status": entry.get("status")})
    entry["duration_s"] = round(entry["duration_s"] + report.duration, 4)
    if found is None or entry["outcome"] != found.status.value:
        entry["reason"] = scrub(_crash_line(report)) or entry["reason"]
    if report.when == "call" and entry["outcome"] in outcome.FAILING:
        _waive_or_gate(run, report, entry)
    report.opsverify = {k: entry[k] for k in ("item", "severity", "outcome", "reason", "value", "unit",
                                              "limit", "status", "waiver", "waiver_expired") if k in entry}
    report.user_properties.extend((k, str(entry[k])) for k in ("item", "severity", "outcome", "limit", "reason")
                                  if entry.get(k) is not None)
    if entry.get("waiver"):
        w = entry["waiver"]
        report.user_properties.append(("waiver", f"{w['reason']} (approved by {w['approved_by']}, "
                                                 f"expires {w['expires']})"))
    try:
        from pytest_html import extras
    except ImportError:
        return report
    report.extras = [*getattr(report, "extras", []), extras.html(html.evidence_extra(entry))]
    return report


def _waive_or_gate(run: Run, report: pytest.TestReport, entry: dict[str, Any]) -> None:
    """A failure an active waiver names passes as `waived`; one below --fail-on keeps exit 0 but stays failed."""
    active = run.waivers.active(report.nodeid) if run.waivers else None
    if active is not None:
        entry["outcome"], entry["waiver"] = "waived", terms(active)
        report.outcome = "passed"
        return
    lapsed = run.waivers.expired(report.nodeid) if run.waivers else None
    if lapsed is not None:
        entry["waiver_expired"] = terms(lapsed)
    if options.below(entry.get("severity"), run.fail_on):
        entry["below_fail_on"] = True
        run.exempt += 1


def _crash_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message.splitlines()[0] if crash.message else ""
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr or "").splitlines()[0] if report.longrepr else ""


def pytest_report_teststatus(report: pytest.TestReport) -> Any:
    return outcome.teststatus(report)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Generator[None, None, None]:
    """After pytest-html and JUnit have written: the exit code, the record, the archive, the index, notifications."""
    run = _run(session.config)
    unwritten = None
    try:
        outcome_ = yield
    except OSError as exc:  # pytest-html or JUnit could not write its report (a full disk): the run is still recorded
        if run is None:
            raise
        outcome_, unwritten = None, exc
    if run is not None:
        session.exitstatus = aftermath.exit_status(run, session.exitstatus, session.testsfailed)
    if run is not None and not session.config.option.collectonly:
        session.exitstatus = archiving.finish(run, session.config, session.exitstatus, unwritten)
    if run is not None:
        feeds.publish(run, session)  # after the archive: a Pushgateway that does not answer cannot hold it back
    return outcome_


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    run = _run(config)
    if run is not None and not config.option.collectonly:
        terminal.summary(run, terminalreporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = _run(config)
    if run is None:
        return
    stop.restore(config)
    run.close()
    if config.pluginmanager.get_plugin("terminalreporter") is not None:  # none when configure stopped before it
        config.get_terminal_writer().line(terminal.banner(run), yellow=bool(run.demo), bold=True)

"""Pages in a real headless Chromium, per device: load time with every asset, time to interactive, fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsverify.checks import carried, combine, milliseconds, plural, probe, show_seconds
from opsverify.context import RunContext
from opsverify.result import Result, failed, grade, passed, skipped
from opsverify.spec import Environment
from opsverify.spec.models.pages import Page

if TYPE_CHECKING:
    from opsverify.checks.pages.visit import Visit

SHOWN = 3  # failed assets or console messages named in a reason


@dataclass(frozen=True)
class OnDevice:
    """A page as one device sees it; its test id is `PAGE:DEVICE`."""

    page: Page
    device: str

    @property
    def name(self) -> str:
        """PAGE:DEVICE, so `-k PAGE` and `-k mobile` both find it."""
        return f"{self.page.name}:{self.device}"

    @property
    def label(self) -> str:
        """How a reason names it: `home on mobile`."""
        return f"{self.page.name} on {self.device}"

    __getattr__ = carried("page", "url", "cadence")


def on_devices(env: Environment) -> list[OnDevice]:
    """Every page on each of its devices."""
    return [OnDevice(page, device) for page in env.pages for device in page.devices]


def interactive_limited(env: Environment) -> list[OnDevice]:
    """The pages (on each device) that set a time-to-interactive limit or warning level."""
    return [on for on in on_devices(env)
            if on.page.max_interactive is not None or on.page.warn_max_interactive is not None]


def _visit(target: OnDevice, context: RunContext | None) -> Visit:
    """The run's one visit of this page on this device (imported here: the module needs cryptography and CDP)."""
    from opsverify.checks.pages.visit import shared

    return shared(target.page, target.device, context)


@probe
def load(target: OnDevice, *, context: RunContext | None = None) -> Result:
    """Navigation start to the end of the load event, graded; the page or an asset answering >= 400 or failing fails."""
    seen, page = _visit(target, context), target.page
    results = [grade("load time", seen.load, page.max_load, page.warn_max_load, show=show_seconds, unit="s",
                     said=f"{target.label} loaded in {show_seconds(seen.load)} with every asset")]
    if seen.status is not None and seen.status >= 400:
        results.append(failed(f"{target.label}: the page itself answered {seen.status}"))
    if seen.failed_assets:
        results.append(failed(f"{target.label}: {plural(len(seen.failed_assets), 'asset')} failed: "
                              + _named(seen.failed_assets)))
    return combine(results, load_ms=milliseconds(seen.load), status=seen.status,
                   failed_assets=list(seen.failed_assets))


@probe
def interactive(target: OnDevice, *, context: RunContext | None = None) -> Result:
    """DOMContentLoaded or the end of the last long task within the load, the later, graded."""
    seen, page = _visit(target, context), target.page
    if page.max_interactive is None and page.warn_max_interactive is None:
        return skipped(f"{page.name} sets no max_interactive")
    tasks = seen.long_tasks
    detail = (f"DOMContentLoaded at {show_seconds(seen.ready)}; {plural(len(tasks), 'long task')}"
              + (f", the last ending at {show_seconds(max(s + d for s, d in tasks))}" if tasks else ""))
    return grade("time to interactive", seen.interactive, page.max_interactive, page.warn_max_interactive,
                 show=show_seconds, unit="s", said=f"{target.label} was interactive after "
                 f"{show_seconds(seen.interactive)} ({detail})",
                 evidence={"interactive_ms": milliseconds(seen.interactive), "dom_content_loaded_ms":
                           milliseconds(seen.ready), "long_tasks_ms": [[milliseconds(s), milliseconds(d)]
                                                                        for s, d in tasks]})


@probe
def fits_device(target: OnDevice, *, context: RunContext | None = None) -> Result:
    """No sideways scrolling, a viewport meta tag on phones and tablets, console errors within max_console_errors."""
    seen, page = _visit(target, context), target.page
    results = [_width(target, seen)]
    if target.device != "desktop" and not seen.viewport_meta:
        results.append(failed(f"{target.label}: the page has no <meta name=viewport>, so the device lays it out "
                              f"980px wide and shrinks it"))
    if page.max_console_errors is not None:
        errors = seen.console_errors
        said = f"{target.label}: {plural(len(errors), 'console error')}" + (f": {_named(errors)}" if errors else "")
        results.append(grade("console errors", len(errors), page.max_console_errors, said=said))
    return combine(results, scroll_width=seen.scroll_width, screen_width=seen.inner_width,
                   viewport_meta=seen.viewport_meta, console_errors=list(seen.console_errors))


def _width(target: OnDevice, seen: Visit) -> Result:
    """Whether the page is no wider than the screen (one pixel of rounding allowed)."""
    if seen.scroll_width <= seen.inner_width + 1:
        return passed(f"{target.label} fits the {seen.inner_width}px-wide screen")
    culprit = f"; {seen.widest} reaches {seen.reach}px" if seen.widest else ""
    return failed(f"{target.label} is {seen.scroll_width}px wide on a {seen.inner_width}px-wide screen "
                  f"(it scrolls sideways){culprit}", value=seen.scroll_width, unit="px")


def _named(things: tuple[str, ...]) -> str:
    """The first few, then how many more."""
    more = f" (and {len(things) - SHOWN} more)" if len(things) > SHOWN else ""
    return "; ".join(things[:SHOWN]) + more

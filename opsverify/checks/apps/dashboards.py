"""Framework dashboards (Telescope, Horizon, Debugbar, log viewers, Ignition) must not answer without login.

Recognised on content with the exposure check's signatures: a dashboard served with any status
fails; 401, 403, 404 or a redirect to a login page passes. A listed path opsverify has no signature
for fails when it answers 2xx with a page unlike the site's answer to a missing path.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from opsverify.checks import probe
from opsverify.checks.security.exposure import signature_for
from opsverify.checks.security.web import Page, get, missing_path, same_page
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.apps import App
from opsverify.spec.secret import SecretUrl


@probe
def private(app: App) -> Result:
    """GET each dashboard path of the app without credentials; any recognised dashboard fails."""
    if app.url is None or not app.dashboard_paths:
        return skipped(f"no url or no dashboard paths for {app.name} ({app.framework} has no default list)")
    SecretUrl(app.url)  # a password in the base URL is masked in every reason
    base = app.url.rstrip("/")
    answers: dict[str, str] = {}
    exposed: list[str] = []
    missing: tuple[str, Page] | None = None
    for path in app.dashboard_paths:
        page = get(app, base + path)  # type: ignore[arg-type]  # an App has the timeout and ca_file of a Site
        answers[path] = _answer(page)
        signature = signature_for(path)
        if signature is not None:
            found = signature.find(page)
        elif page.ok and not page.hops:
            missing = missing or _missing(app, base)
            found = None if same_page(page, missing[1], path, missing[0]) else "a page unlike a missing page"
        else:
            found = None
        if found:
            exposed.append(f"{path} serves {found} without login (HTTP {page.status})")
    evidence = {"url": app.url, "answers": answers}
    if exposed:
        return failed("; ".join(exposed), value=len(exposed), evidence=evidence)
    shown = ", ".join(f"{path} {answer}" for path, answer in answers.items())
    return passed(f"no dashboard answers without login ({shown})", value=0, evidence=evidence)


def _answer(page: Page) -> str:
    """`404`, or `302 -> /login (200)` for a redirect."""
    if not page.hops:
        return str(page.status)
    return f"{page.hops[0][0]} -> {urlsplit(page.url).path or '/'} ({page.status})"


def _missing(app: App, base: str) -> tuple[str, Page]:
    """A random missing path and what the site answers there."""
    path = missing_path()
    return path, get(app, base + path)  # type: ignore[arg-type]

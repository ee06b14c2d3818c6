"""Headless Chromium: the DOM after scripts ran, and a screenshot, of a page a person would open."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=5000", "--window-size=1400,1000"]


def chromium() -> str:
    """The Chromium binary; skips (fails with OPSV_REQUIRE_SERVICES=1) when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("OPSV_REQUIRE_SERVICES") == "1":
        pytest.fail("chromium is not installed (apt-get install chromium) and OPSV_REQUIRE_SERVICES=1",
                    pytrace=False)
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _headless(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=90)


def dom(path: Path) -> str:
    """The page's DOM after its scripts ran."""
    return _headless(path.as_uri(), "--dump-dom").stdout


def screenshot(path: Path, png: Path) -> Path:
    """A PNG of the page as a person sees it."""
    _headless(path.as_uri(), f"--screenshot={png}")
    return png

"""The `pages:` section: devices, limits, validation, and one test id per page and device."""

from __future__ import annotations

from typing import get_args

from opsverify.checks.pages import interactive_limited, on_devices
from opsverify.checks.pages.visit import DEVICES
from opsverify.spec.models.pages import Device
from tests.spec.helpers import at, ok, one

PAGES = """\
environment: shop
redact: [X-Preview]
pages:
  - name: home
    url: https://shop.example/
    devices: [desktop, mobile]
    max_load: 3s
    warn_max_load: 2s
    max_interactive: 5s
    max_console_errors: 0
    headers: {X-Preview: abc, Accept-Language: en}
  - name: search
    url: http://shop.example/search?q=cards
"""


def test_pages_load_with_their_defaults_and_devices() -> None:
    home, search = ok(PAGES).pages
    assert (home.devices, str(home.max_load), str(home.warn_max_load), home.max_console_errors) == (
        ("desktop", "mobile"), "3s", "2s", 0)
    assert (search.devices, search.max_load, search.max_console_errors, str(search.timeout)) == (
        ("desktop",), None, None, "10s")
    assert str(home.headers["X-Preview"]) == "***" and home.headers["Accept-Language"] == "en"


def test_each_device_of_a_page_is_its_own_test_id() -> None:
    env = ok(PAGES)
    assert [t.name for t in on_devices(env)] == ["home:desktop", "home:mobile", "search:desktop"]
    assert [t.name for t in interactive_limited(env)] == ["home:desktop", "home:mobile"]
    assert [t.label for t in on_devices(env)][1] == "home on mobile"


def test_every_device_the_spec_accepts_has_an_emulation() -> None:
    assert set(get_args(Device)) == set(DEVICES)


def test_an_unknown_device_names_the_choices() -> None:
    problem = one("""\
        environment: shop
        pages:
          - {name: home, url: "https://shop.example/", devices: [desktop, watch]}
        """)
    at(problem, 3, "pages[0].devices[1]", "desktop", "mobile", "tablet")


def test_a_device_named_twice_and_a_non_web_url_are_refused() -> None:
    twice = one("""\
        environment: shop
        pages:
          - {name: home, url: "https://shop.example/", devices: [mobile, mobile]}
        """)
    assert "named twice" in twice.message
    ftp = one("""\
        environment: shop
        pages:
          - {name: home, url: "ftp://shop.example/"}
        """)
    assert "not an http:// or https:// URL" in ftp.message

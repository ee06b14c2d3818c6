"""Pages in a real headless Chromium, per device: load time with every asset, time to interactive, fit on the screen."""

from opsverify.checks import pages
from opsverify.plugin import check, expect


@check("pages.load", over=pages.on_devices, area="performance")
def test_page_load(result):
    expect(result)


@check("pages.interactive", over=pages.interactive_limited, area="performance")
def test_page_interactive(result):
    expect(result)


@check("pages.fits_device", over=pages.on_devices, cadence="monthly", area="performance")
def test_page_fits_device(result):
    expect(result)

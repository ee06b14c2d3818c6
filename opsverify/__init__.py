"""opsverify: a web application's maintenance runbook as pytest tests against live environments."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("opsverify")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"

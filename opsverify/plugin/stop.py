"""SIGTERM ends a checklist run as Ctrl-C does: pytest stops at once, writes the report and the record, and exits."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import pytest

_PREVIOUS = pytest.StashKey[Any]()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Raise KeyboardInterrupt in the main thread, where pytest turns it into an interrupted session."""
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def on_terminate(config: pytest.Config) -> None:
    """From now on SIGTERM interrupts the run (only the main thread may set a handler)."""
    if threading.current_thread() is threading.main_thread() and _PREVIOUS not in config.stash:
        config.stash[_PREVIOUS] = signal.signal(signal.SIGTERM, _interrupt)


def restore(config: pytest.Config) -> None:
    """Give SIGTERM back the handler it had before the run."""
    previous = config.stash.get(_PREVIOUS, None)
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)
        del config.stash[_PREVIOUS]

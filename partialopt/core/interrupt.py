"""Ctrl-C during a long solve: the first press asks the running method to stop and return its
incumbent (status ``interrupted``); a second press raises :class:`KeyboardInterrupt` at once.

Every exact method runs inside :func:`interruptible`. It installs a SIGINT handler (only in the
main thread, where Python delivers signals; elsewhere it does nothing and Ctrl-C keeps its
default meaning) that records the request; solvers poll :func:`requested` (the HiGHS runner from
its interrupt callbacks, search loops between nodes). Guards nest: the outermost one owns the
handler and restores the previous one on exit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = {"depth": 0, "presses": 0}


def requested() -> bool:
    """Whether Ctrl-C was pressed since the outermost :func:`interruptible` began."""
    return _state["presses"] > 0


def request() -> None:
    """Ask the running method to stop as if Ctrl-C had been pressed once (tests, GUIs)."""
    _state["presses"] = max(1, _state["presses"])


def _handler(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    _state["presses"] += 1
    if _state["presses"] >= 2:
        raise KeyboardInterrupt("second Ctrl-C: stopped at once")


@contextmanager
def interruptible() -> Iterator[None]:
    """Run the body with Ctrl-C turned into a stop request (see the module docstring)."""
    main = threading.current_thread() is threading.main_thread()
    outer = _state["depth"] == 0
    previous = None
    if outer:
        _state["presses"] = 0
        if main:
            previous = signal.signal(signal.SIGINT, _handler)
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        if outer:
            if main:
                signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
            _state["presses"] = 0

"""Ctrl-C and cancel must kill a backend's solver process at once: one check for every backend that runs one."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import pytest


def dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def assert_interrupt_kills(action: Callable[[], None], solve: Callable[[], object], busy: Callable[[], list[int]]):
    """Start ``solve`` (a long one), do ``action`` after 1 s from another thread: the solve must raise
    KeyboardInterrupt within seconds and every process ``busy`` listed at that moment must be dead."""
    seen: list[int] = []

    def fire() -> None:
        seen.extend(busy())
        action()

    timer = threading.Timer(1.0, fire)
    started = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            solve()
    finally:
        timer.cancel()
    assert time.perf_counter() - started < 10
    assert seen and all(dead(pid) for pid in seen)
    assert not busy()
    return seen

"""The watchdog's child process: runs the HiGHS solves its parent sends, streaming progress back.

Run as ``python -m boundaries.engine.backends.highs_child`` by ``watchdog.Child``. Requests arrive on stdin, replies go
to the original stdout (see ``watchdog`` for the framing); one solve at a time, until stdin closes.

Replies: ``("solution", stamp, values)`` for each improving solution, ``("bound", stamp, dual_bound)`` for each
better dual bound, then ``("done", stamp, Outcome)`` or ``("error", traceback)``. Stamps are ``time.monotonic()``,
which is system-wide, so the parent can place them on its own clock.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from typing import IO, Any

import numpy as np

from boundaries.engine.backends.highs import run
from boundaries.engine.backends.watchdog import read_frame, write_frame

PARENT_CHECK = 1.0  # seconds between checks that the parent is still alive


def _exit_with_parent(parent: int) -> None:
    """Exit when the parent dies (a Dask worker killed by its nanny, a parent killed with SIGKILL): otherwise a
    stuck HiGHS would run on as an orphan. Polling from a thread works because HiGHS releases the GIL while it
    runs. (PR_SET_PDEATHSIG is not used: it fires when the parent *thread* that started us exits.)"""

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    parent = os.getppid()
    # Ctrl-C in a terminal goes to the whole process group; the parent decides what happens to this child
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies: IO[bytes] = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # HiGHS's banner or a stray print must not corrupt the replies
    os.close(devnull)
    _exit_with_parent(parent)
    lock = threading.Lock()

    def send(message: Any) -> None:
        try:
            with lock:
                write_frame(replies, message)
        except OSError:  # the parent has gone (or killed us mid-write): nobody to answer
            os._exit(1)

    def solution(values: np.ndarray) -> None:
        send(("solution", time.monotonic(), values))

    def bound(value: float) -> None:
        send(("bound", time.monotonic(), value))

    while (request := read_frame(sys.stdin.buffer)) is not None:
        _, form, options = request
        try:
            outcome = run(
                form,
                time_limit=max(0.01, options["deadline"] - time.monotonic()),
                seed=options["seed"],
                gap=options["gap"],
                log_path=options["log"],
                on_solution=solution,
                on_bound=bound,
            )
        except Exception:
            send(("error", traceback.format_exc()))
        else:
            send(("done", time.monotonic(), outcome))


if __name__ == "__main__":
    main()

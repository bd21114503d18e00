"""Keep HiGHS's time limit: the solve runs in a child process that is killed if HiGHS overruns.

HiGHS 1.16 checks its clock between node and cut rounds but not inside the root node's mod-k cut separation, and
was measured overrunning a 2-5 s limit by 5-30 s on small districting models (minutes on real ones); Ctrl-C does
nothing while it runs. So ``solve`` sends the model to a long-lived child (``highs_child``), which streams each
improving solution and dual bound back as HiGHS finds them. The parent waits on that stream until the time limit
plus a little slack; if HiGHS has not returned by then, the child is killed (a fresh one is started on the next
call) and the best solution and bound received so far are returned. The promise kept is: back within
``time_limit + max(2 s, 5%)`` of the call.

The child is a plain ``subprocess.Popen`` of ``python -m boundaries.engine.backends.highs_child``, not multiprocessing:
the CLI solves inside Dask worker processes, which are daemonic and may not start multiprocessing children. It
is kept between calls (one per concurrent solve) so that many small solves do not each pay Python's start-up.

Messages are pickles with an 8-byte length in front, on the child's stdin (requests) and stdout (replies; the
child points its own fd 1 at /dev/null so that nothing else can write there).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

import numpy as np

from boundaries.engine.backends.highs import MatrixForm, Outcome, read_outcome
from boundaries.engine.backends.result import SolveResult, read_log
from boundaries.engine.linear import LinearModel
from boundaries.status import Status

_HEADER = struct.Struct("<Q")
RETURN_MARGIN = 0.5  # seconds of the promised slack kept for killing the child and returning (measured: 0.02 s)


def slack(time_limit: float) -> float:
    """How long past its time limit HiGHS may run before it is killed.

    The promise is ``time_limit + max(2 s, 5%)``; ``RETURN_MARGIN`` of that is kept for the kill and the return,
    the rest lets HiGHS end a normal run a little late (it often stops 0.01-0.1 s past its limit) with its own
    complete answer rather than being killed for nothing."""
    return max(2.0, 0.05 * time_limit) - RETURN_MARGIN


def write_frame(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any | None:
    """The next message, or None at the end of the stream (the other side has gone)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


class Child:
    """One HiGHS child process, and a thread that moves its replies onto ``inbox`` (None once it has gone).

    A thread rather than select() on the pipe: the wait is then a ``Queue.get`` with a timeout, which Ctrl-C
    interrupts and which works the same on every platform."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # the child must import this same package, however the parent found it (installed, src path, tests)
        package_root = str(Path(__file__).resolve().parents[3])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "boundaries.engine.backends.highs_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.pid = self.proc.pid
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.cancelled = threading.Event()
        self.killed = False
        threading.Thread(target=self._read, name=f"highs-child-{self.pid}", daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            while (message := read_frame(self.proc.stdout)) is not None:
                self.inbox.put(message)
        except (OSError, ValueError, pickle.UnpicklingError, EOFError):
            pass
        finally:
            self.inbox.put(None)

    def alive(self) -> bool:
        return not self.killed and self.proc.poll() is None

    def send(self, message: Any) -> None:
        assert self.proc.stdin is not None
        write_frame(self.proc.stdin, message)

    def kill(self) -> None:
        """Kill at once (SIGKILL: HiGHS does not respond to anything gentler while it is stuck) and reap."""
        self.killed = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def close(self) -> None:
        """End an idle child politely: closing its stdin ends its loop."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


_lock = threading.Lock()
_idle: list[Child] = []
_busy: set[Child] = set()
_owner = os.getpid()
started = 0  # children started by this process, for tests and diagnostics


def _take() -> Child:
    """An idle child, or a new one. After a fork the children belong to the parent process: forget them."""
    global _owner, _idle, _busy, started
    with _lock:
        if _owner != os.getpid():
            _owner, _idle, _busy = os.getpid(), [], set()
        while _idle:
            child = _idle.pop()
            if child.alive():
                _busy.add(child)
                return child
            child.kill()
        started += 1
    child = Child()
    with _lock:
        _busy.add(child)
    return child


def _release(child: Child, reusable: bool) -> None:
    with _lock:
        _busy.discard(child)
        if reusable and child.alive():
            _idle.append(child)
            return
    child.kill()


def busy_pids() -> list[int]:
    """Process ids of the children solving right now."""
    with _lock:
        return [child.pid for child in _busy]


def cancel() -> None:
    """Stop every solve running in this process: each child is killed and each waiting ``solve`` raises
    KeyboardInterrupt. For callers that cannot deliver a signal to the waiting thread (Dask worker threads)."""
    with _lock:
        children = list(_busy)
    for child in children:
        child.cancelled.set()
        child.kill()


@atexit.register
def shutdown() -> None:
    """End all children (idle ones politely); also useful to free their memory."""
    with _lock:
        children = [*_idle, *_busy] if _owner == os.getpid() else []
        _idle.clear()
        _busy.clear()
    for child in children:
        child.close()


class _Best:
    """The best solution and bound streamed so far, and when each came."""

    def __init__(self, model: LinearModel, start: float) -> None:
        self.model = model
        self.start = start
        self.values: np.ndarray | None = None
        self.objective: float | None = None
        self.bound: float | None = None  # in HiGHS's units (times model.scale), like Outcome.dual_bound
        self.progress: list[tuple[float, float | None, float | None]] = []

    def solution(self, stamp: float, values: np.ndarray) -> None:
        objective = self.model.evaluate([int(round(v)) for v in values])
        if self.objective is None or objective < self.objective:
            self.values, self.objective = values, objective
            self._note(stamp)

    def dual(self, stamp: float, bound: float) -> None:
        if self.bound is None or bound > self.bound:
            self.bound = bound
            self._note(stamp)

    def _note(self, stamp: float) -> None:
        bound = self.bound / self.model.scale if self.bound is not None else None
        self.progress.append((stamp - self.start, self.objective, bound))


def solve(model: LinearModel, *, time_limit: float, seed: int, threads: int = 1, gap: float) -> SolveResult:
    """Solve with HiGHS in a child process; back within ``time_limit + max(2 s, 5%)`` whatever HiGHS does.

    The result is HiGHS's own when it stops in time (identical to ``highs.solve_here``). Otherwise the child is
    killed and the result holds the best solution and bound it had reported: status "feasible" with a
    solution, "timed_out" without. Ctrl-C (or ``cancel``) kills the child and raises KeyboardInterrupt."""
    start = time.monotonic()  # system-wide on every platform, so the child's stamps compare with it
    deadline = start + time_limit
    kill_at = deadline + slack(time_limit)
    best = _Best(model, start)
    with tempfile.TemporaryDirectory(prefix="boundaries-highs-") as tmp:
        # the parent names the log file so that it can still read it after killing the child
        log_path = os.path.join(tmp, "highs.log")
        request = ("solve", MatrixForm.of(model), {"deadline": deadline, "seed": seed, "gap": gap, "log": log_path})
        child = _take()
        reusable = False
        try:
            try:
                child.send(request)
            except OSError:  # an idle child that died (e.g. killed from outside): one retry with a fresh one
                _release(child, reusable=False)
                child = _take()
                child.send(request)
            while True:
                message = child.inbox.get(timeout=max(0.0, kill_at - time.monotonic()))
                if message is None:
                    if child.cancelled.is_set():
                        raise KeyboardInterrupt
                    return _crashed(model, best, child, log_path)
                kind = message[0]
                if kind == "solution":
                    best.solution(message[1], message[2])
                elif kind == "bound":
                    best.dual(message[1], message[2])
                elif kind == "done":
                    reusable = True
                    return _finished(model, best, message[2], log_path)
                elif kind == "error":
                    reusable = True
                    raise RuntimeError(f"HiGHS failed in the watchdog child:\n{message[1]}")
        except queue.Empty:
            return _overran(model, best, child, log_path, time_limit)
        finally:
            _release(child, reusable)


def _seconds(best: _Best) -> float:
    return time.monotonic() - best.start


def _finished(model: LinearModel, best: _Best, outcome: Outcome, log_path: str) -> SolveResult:
    result = read_outcome(model, outcome, _seconds(best), read_log(log_path))
    result.progress = best.progress
    last = best.progress[-1] if best.progress else None
    ended = (result.objective, result.bound)
    if ended != (None, None) and (last is None or last[1:] != ended):
        result.progress.append((result.seconds, *ended))  # the proof, when it came with no new solution or bound
    return result


def _partial(model: LinearModel, best: _Best, log: str) -> SolveResult:
    """The best reported before the child stopped answering."""
    outcome = Outcome(Status.FEASIBLE if best.values is not None else Status.TIMED_OUT, best.values, best.bound)
    result = read_outcome(model, outcome, _seconds(best), log)
    result.progress = best.progress
    return result


def _overran(model: LinearModel, best: _Best, child: Child, log_path: str, time_limit: float) -> SolveResult:
    child.kill()
    note = f"watchdog: HiGHS had not stopped {slack(time_limit):.1f} s after its {time_limit:.1f} s time limit; killed"
    return _partial(model, best, read_log(log_path) + f"\n{note}\n")


def _crashed(model: LinearModel, best: _Best, child: Child, log_path: str) -> SolveResult:
    """The child died under HiGHS (out of memory, a crash): its best so far if it had a solution, else an error."""
    child.kill()
    code = child.proc.returncode
    if best.values is None:
        raise RuntimeError(f"the HiGHS child process died (exit code {code}) before finding a solution")
    note = f"watchdog: the HiGHS child process died (exit code {code}); its best solution so far is kept"
    return _partial(model, best, read_log(log_path) + f"\n{note}\n")

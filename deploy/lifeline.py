"""Every process `make run` starts dies with the runner, however the runner dies.

Two layers, because the runner may get no chance to stop anything itself (SIGKILL, a crash):

- The parent-death signal (prctl PR_SET_PDEATHSIG): Linux sends a child SIGTERM the moment its parent
  is gone. It is not inherited across fork, so gunicorn's workers get it through the ``post_fork``
  hook below: run_local.py passes this file to gunicorn as its config file.
- A watchman: ``python lifeline.py GRACE`` reads the process groups the runner starts on stdin, one
  ``+pid`` or ``-pid`` a line. When stdin closes with groups still listed, the runner died with its
  children running: the watchman sends each group SIGTERM and, after GRACE seconds, SIGKILL, so a
  process that does not stop on SIGTERM (a consumer stuck reconnecting to a broker that is down)
  goes all the same.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from typing import Callable, Iterable

PR_SET_PDEATHSIG = 1
PARENT_DEATH_SIGNAL = signal.SIGTERM


def dies_with(parent_pid: int) -> Callable[[], None]:
    """A function for a forked child of ``parent_pid`` (a Popen ``preexec_fn``): from then on the child
    gets SIGTERM when that parent is gone.

    libc is loaded here, in the parent: a child forked from a threaded process must not dlopen.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def arm() -> None:
        if prctl(PR_SET_PDEATHSIG, int(PARENT_DEATH_SIGNAL), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        # The parent may have died between fork and prctl; then no signal would ever come.
        if os.getppid() != parent_pid:
            os._exit(1)

    return arm


def post_fork(server, worker) -> None:
    """gunicorn hook, run in each new worker: the worker goes when its master goes."""
    dies_with(server.pid)()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # not ours (any more)
        return False
    return True


def _signal_groups(groups: Iterable[int], signum: int) -> None:
    for pgid in groups:
        try:
            os.killpg(pgid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def stop_groups(groups: set[int], grace_seconds: float) -> None:
    """SIGTERM to every group; SIGKILL to whatever of them is left after ``grace_seconds``."""
    _signal_groups(groups, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while groups and time.monotonic() < deadline:
        groups = {pgid for pgid in groups if _group_alive(pgid)}
        time.sleep(0.1)
    _signal_groups(groups, signal.SIGKILL)


def watch(lines: Iterable[str], grace_seconds: float) -> None:
    groups: set[int] = set()
    for line in lines:
        line = line.strip()
        if line.startswith("+"):
            groups.add(int(line[1:]))
        elif line.startswith("-"):
            groups.discard(int(line[1:]))
    stop_groups(groups, grace_seconds)


if __name__ == "__main__":
    watch(sys.stdin, float(sys.argv[1]))

"""Planning a wave off the server's CPU: big waves in a process of their own, at low priority.

Planning is pure Python: selection, allocation, batching, a route per trip. Run in a thread
of the server it holds the GIL for most of a second or more, and every scan the event loop
serves meanwhile waits for the GIL each time it comes back from a socket or from SQLite
(bench board: the floor's scan p99 during a 1,000-order release). A wave of ``PROCESS_FROM``
candidates or more is planned in one worker process instead, niced below the server, so on
a busy machine the scans are served first; smaller ones stay in a thread (no hand-over).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from wms.domain.batching import BatchOrder, Cart, fcfs_distance, plan_batches
from wms.domain.layout import Geometry
from wms.domain.waves import Free, PlanOrder, WavePlan, WaveRules, plan_wave
from wms.services import planner_pool

POOL_FROM = 300  # cart orders from which the planner pool's processes batch the wave
PROCESS_FROM = 300  # candidate orders from which the wave is planned in its own process
NICE = 10  # the planning process's CPU priority below the server's

_executor: ProcessPoolExecutor | None = None
_executor_lock = threading.Lock()


def plan(
    candidates: Sequence[PlanOrder],
    rules: WaveRules,
    geo: Geometry,
    stock: Mapping[str, list[Free]],
    now: datetime,
) -> tuple[WavePlan, float]:
    """The wave and the FCFS baseline's walk for the same carts (what planning saved)."""
    fcfs_m = 0.0

    def batcher(g: Geometry, items: Sequence[BatchOrder], cart: Cart) -> list[tuple[int, ...]]:
        nonlocal fcfs_m
        # The baseline for the same carts, in the order the planner took them.
        fcfs_m += fcfs_distance(g, items, cart)
        if len(items) >= POOL_FROM and rules.iterations > 0:
            pool = planner_pool.shared()
            return list(
                pool.plan(g, items, cart, seed=rules.seed, seconds=rules.time_budget_s).batches
            )
        made = plan_batches(
            g,
            items,
            cart,
            seed=rules.seed,
            time_budget_s=rules.time_budget_s,
            max_iterations=rules.iterations,
        )
        return list(made.batches)

    wave = plan_wave(list(candidates), rules, geo, stock=dict(stock), now=now, batcher=batcher)
    return wave, fcfs_m


def _start_worker(server_pid: int) -> None:
    """The planning process's start: below the server's priority, and gone with it."""
    with contextlib.suppress(OSError):  # a container may refuse it; planning still works
        os.nice(NICE)
    threading.Thread(target=_exit_with, args=(server_pid,), daemon=True).start()


def _exit_with(server_pid: int) -> None:
    """A server killed without its shutdown (kill -9, a crash) must not leave its planning
    process behind: the worker's parent is the forkserver, not the server, so no signal
    tells it, and an orphan kept holding the server's output pipe open."""
    while is_running(server_pid):
        time.sleep(2)
    os._exit(0)


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: ask the kernel, which counts a zombie as alive
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def executor() -> ProcessPoolExecutor:
    """The planning process, started at first use and kept (its planner pool with it)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            # forkserver: the worker starts from a clean interpreter, not a fork of a
            # server with an event loop, threads and open database connections.
            ctx = multiprocessing.get_context("forkserver")
            _executor = ProcessPoolExecutor(
                max_workers=1, mp_context=ctx, initializer=_start_worker, initargs=(os.getpid(),)
            )
        return _executor


def shutdown() -> None:
    """Stop the planning process (and its planner pool) at the server's shutdown."""
    global _executor
    with _executor_lock:
        if _executor is not None:
            _executor.shutdown(wait=True, cancel_futures=True)
            _executor = None


def in_own_process(candidates: Sequence[PlanOrder]) -> bool:
    return len(candidates) >= PROCESS_FROM

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


def _lower_priority() -> None:
    with contextlib.suppress(OSError):  # a container may refuse it; planning still works
        os.nice(NICE)


def executor() -> ProcessPoolExecutor:
    """The planning process, started at first use and kept (its planner pool with it)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            # forkserver: the worker starts from a clean interpreter, not a fork of a
            # server with an event loop, threads and open database connections.
            ctx = multiprocessing.get_context("forkserver")
            _executor = ProcessPoolExecutor(
                max_workers=1, mp_context=ctx, initializer=_lower_priority
            )
        return _executor


def in_own_process(candidates: Sequence[PlanOrder]) -> bool:
    return len(candidates) >= PROCESS_FROM

"""Batching one wave with several processes that search together and swap their best plan."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import threading
import time
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection

from wms.domain.batching import BatchOrder, BatchPlan, Cart, plan_batches
from wms.domain.layout import Geometry, Point
from wms.domain.route_cost import RouteCost


def _pack(geo: Geometry, orders: Sequence[BatchOrder], cart: Cart) -> bytes:
    """The problem as plain tuples: pickling the dataclasses took about 15 ms a
    100-order wave each way, a few per cent of a one-second plan."""
    plain = [
        (tuple((p.x, p.y, p.aisle) for p in o.stops), o.articles, o.volume, o.weight, o.totes)
        for o in orders
    ]
    return pickle.dumps(
        (geo.aisle_x, geo.cross_y, geo.depot.x, plain, cart.capacity()), pickle.HIGHEST_PROTOCOL
    )


def _unpack(data: bytes) -> tuple[Geometry, list[BatchOrder], Cart]:
    aisle_x, cross_y, depot_x, plain, capacity = pickle.loads(data)  # noqa: S301 (our own)
    orders = [
        BatchOrder(k, tuple(Point(*p) for p in stops), articles, volume, weight, totes)
        for k, (stops, articles, volume, weight, totes) in enumerate(plain)
    ]
    return Geometry(list(aisle_x), list(cross_y), depot_x), orders, Cart(*capacity)


def _serve(conn: Connection) -> None:
    """A worker: plans rounds until told to stop. It keeps the current problem and its
    route-cost cache between the rounds of one plan, so that a round does not price
    again what the last one priced."""
    problem: tuple[Geometry, list[BatchOrder], Cart, RouteCost] | None = None
    with contextlib.suppress(OSError):  # below the server: scans are served first
        os.nice(10)
    while True:
        message = conn.recv()
        if message is None:
            return
        data, seed, work, seconds, start, schedule = message
        try:
            if data is not None:
                geo, orders, cart = _unpack(data)
                problem = (geo, orders, cart, RouteCost(geo, [o.stops for o in orders]))
            if problem is None:
                raise RuntimeError("a round without a problem")
            geo, orders, cart, rc = problem
            cpu = time.process_time()
            plan = plan_batches(
                geo,
                orders,
                cart,
                seed=seed,
                time_budget_s=seconds,
                clock=time.perf_counter,
                work_budget=work,
                cost=rc,
                start=start,
                schedule=schedule,
            )
            plan.stats["cpu_seconds"] = time.process_time() - cpu
            conn.send(("ok", plan))
        except Exception:  # reported to the caller, who raises it
            conn.send(("error", traceback.format_exc()))


class PlannerPool:
    """``workers`` processes, started once, that plan one wave at a time together.

    Every round, each worker searches from the best plan so far with its own seed for
    an equal share of the work budget; the best of their plans (ties to the lower
    worker) starts the next round. Worker k always gets worker k's share, and its route
    cache is rebuilt for each wave, so the plan depends on the input, the seed, the
    work budget and the number of workers and rounds only, not on timing; the clock
    stop (``seconds``) is a safety net.
    """

    def __init__(self, workers: int = 2) -> None:
        # Plain pipes, one per worker: a round trip through ProcessPoolExecutor's
        # queues and threads cost a few milliseconds more, four times a plan.
        ctx = multiprocessing.get_context("fork")
        self._conns: list[Connection] = []
        self._procs = []
        for _ in range(workers):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs,), daemon=True)
            proc.start()
            theirs.close()
            self._conns.append(ours)
            self._procs.append(proc)
        # One wave at a time: two callers' rounds would interleave on the same pipes.
        self._lock = threading.Lock()

    @property
    def workers(self) -> int:
        return len(self._conns)

    def plan(
        self,
        geo: Geometry,
        orders: Sequence[BatchOrder],
        cart: Cart,
        *,
        seed: int = 0,
        work: float = 700_000,
        rounds: int = 4,
        seconds: float = float("inf"),
    ) -> BatchPlan:
        """The best plan found; ``work`` is each worker's budget over all rounds."""
        with self._lock:
            return self._plan(geo, orders, cart, seed, work, rounds, seconds)

    def _plan(
        self,
        geo: Geometry,
        orders: Sequence[BatchOrder],
        cart: Cart,
        seed: int,
        work: float,
        rounds: int,
        seconds: float,
    ) -> BatchPlan:
        deadline = time.perf_counter() + seconds
        data: bytes | None = _pack(geo, orders, cart)
        best: BatchPlan | None = None
        totals: dict[str, float] = {}
        clock_stops = 0
        n = self.workers
        for r in range(rounds):
            start = None if best is None else best.batches
            left = max(0.0, deadline - time.perf_counter())
            for k, conn in enumerate(self._conns):
                schedule = (r / rounds, (r + 1) / rounds)
                conn.send(
                    (data, seed * 1_000_003 + r * n + k, work / rounds, left, start, schedule)
                )
            replies = [conn.recv() for conn in self._conns]
            for status, payload in replies:
                if status != "ok":
                    raise RuntimeError(f"a planner worker failed:\n{payload}")
            plans: list[BatchPlan] = [payload for _status, payload in replies]
            data = None
            # the round lasts as long as its slowest worker
            totals["cpu_seconds"] = totals.get("cpu_seconds", 0.0) + max(
                p.stats["cpu_seconds"] for p in plans
            )
            for p in plans:
                for key in ("evaluations", "calls", "column_misses", "scans", "work"):
                    totals[key] = totals.get(key, 0.0) + p.stats[key]
                totals["iterations"] = totals.get("iterations", 0.0) + p.iterations
                clock_stops += p.stats["work"] < work / rounds
                if r == 0:
                    totals["construction"] = p.stats["construction"]
            # ties go to the lower worker: ``min`` keeps the first of equals
            elite = min(plans, key=lambda p: p.total_distance)
            if best is None or elite.total_distance < best.total_distance - 1e-9:
                best = elite
        assert best is not None
        totals["clock_stops"] = clock_stops
        totals["rounds"] = rounds
        return BatchPlan(
            best.batches,
            best.distances,
            best.oversized,
            int(totals["iterations"]),
            totals,
        )

    def close(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(OSError):  # already gone
                conn.send(None)
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
        for conn in self._conns:
            conn.close()

    def __enter__(self) -> PlannerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared: PlannerPool | None = None
_shared_lock = threading.Lock()
SHARED_WORKERS = 2


def shared() -> PlannerPool:
    """The server's pool, started at its first large wave and kept for the process's life
    (its workers are daemons: they end with it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PlannerPool(SHARED_WORKERS)
        return _shared

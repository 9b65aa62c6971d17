"""Batching one wave with several processes that search together and swap their best plan."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from wms.domain.batching import BatchOrder, BatchPlan, Cart, plan_batches
from wms.domain.layout import Geometry
from wms.domain.route_cost import RouteCost

# In a worker process: the problem being planned and its route-cost cache, kept between
# the rounds of one plan so that a round does not price again what the last one priced.
_PROBLEM: dict[str, object] = {}


def _ready() -> bool:
    return True


def _round(
    token: int,
    problem: tuple[Geometry, Sequence[BatchOrder], Cart] | None,
    seed: int,
    work: float,
    seconds: float,
    start: Sequence[Sequence[int]] | None,
    schedule: tuple[float, float],
) -> BatchPlan:
    """One worker's share of one round (runs in the worker process)."""
    if problem is not None:
        geo, orders, cart = problem
        _PROBLEM.clear()
        _PROBLEM.update(
            token=token,
            geo=geo,
            orders=orders,
            cart=cart,
            rc=RouteCost(geo, [o.stops for o in orders]),
        )
    elif _PROBLEM.get("token") != token:
        raise RuntimeError("this worker does not hold the problem of the round")
    cpu = time.process_time()
    plan = plan_batches(
        _PROBLEM["geo"],  # type: ignore[arg-type]
        _PROBLEM["orders"],  # type: ignore[arg-type]
        _PROBLEM["cart"],  # type: ignore[arg-type]
        seed=seed,
        time_budget_s=seconds,
        clock=time.perf_counter,
        work_budget=work,
        cost=_PROBLEM["rc"],  # type: ignore[arg-type]
        start=start,
        schedule=schedule,
    )
    plan.stats["cpu_seconds"] = time.process_time() - cpu
    return plan


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
        # One single-process pool per worker pins each share to its own process.
        self._pools = [ProcessPoolExecutor(1) for _ in range(workers)]
        for f in [p.submit(_ready) for p in self._pools]:
            f.result()  # started and imported before the first (timed) plan
        self._token = 0

    @property
    def workers(self) -> int:
        return len(self._pools)

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
        self._token += 1
        deadline = time.perf_counter() + seconds
        problem: tuple[Geometry, Sequence[BatchOrder], Cart] | None = (geo, list(orders), cart)
        best: BatchPlan | None = None
        totals: dict[str, float] = {}
        clock_stops = 0
        n = self.workers
        for r in range(rounds):
            start = None if best is None else best.batches
            left = max(0.0, deadline - time.perf_counter())
            futures: list[Future[BatchPlan]] = [
                pool.submit(
                    _round,
                    self._token,
                    problem,
                    seed * 1_000_003 + r * n + k,
                    work / rounds,
                    left,
                    start,
                    (r / rounds, (r + 1) / rounds),
                )
                for k, pool in enumerate(self._pools)
            ]
            plans = [f.result() for f in futures]
            problem = None
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
        for p in self._pools:
            p.shutdown()

    def __enter__(self) -> PlannerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

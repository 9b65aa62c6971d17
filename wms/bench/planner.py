"""`wms bench planner`: order batching on the literature's W5A instances, and one big wave.

Instance format and distance convention: see ../shared/bench/README.md (10 aisles,
45 cells a side, aisle centres 5 LU apart, aisles 47 LU between the front and back
nodes, ``Location l`` at 1.5 + l LU from the front node, depot at the front node of
aisle 0, ``Aisle k`` of a file is picking aisle k // 2).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from wms.bench import ortools_routing
from wms.bench.common import add_site_argument
from wms.domain.batching import BatchOrder, Cart, fcfs, plan_batches
from wms.domain.layout import Geometry, Layout
from wms.domain.route_cost import RouteCost
from wms.domain.routing import route
from wms.services.planner_pool import PlannerPool

REPO = Path(__file__).resolve().parents[2]
DEFAULT_INSTANCES = REPO.parent / "shared" / "bench" / "obp-w5a"
NAME = re.compile(r"^(\d+)([sl])-(\d+)-(\d+)-(\d+)\.txt$")
POLICY = {"s": "s_shape", "l": "largest_gap"}


@dataclass(frozen=True)
class Instance:
    name: str
    policy: str  # routing policy of the original study, for the FCFS baseline
    capacity: int  # articles per cart
    orders: tuple[tuple[tuple[int, int], ...], ...]  # per order: (aisle, location) per article


def w5a_geometry() -> Geometry:
    return Geometry([5.0 * i for i in range(10)], [0.0, 47.0], 0.0)


def parse_instance(path: Path, name: str) -> Instance:
    m = NAME.match(path.name)
    if not m:
        raise ValueError(f"not an instance file name: {path.name}")
    orders: list[list[tuple[int, int]]] = []
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if line.startswith("Order"):
            orders.append([])
        elif len(parts) == 3 and parts[1].startswith("Aisle"):
            side = int(parts[1].split()[1])
            orders[-1].append((side // 2, int(parts[2].split()[1])))
    return Instance(name, POLICY[m.group(2)], int(m.group(4)), tuple(tuple(o) for o in orders))


def load_instances(root: Path) -> list[Instance]:
    out = []
    for path in sorted(root.rglob("*.txt")):
        if NAME.match(path.name) and "ArrivalTimes" not in path.parts:
            out.append(parse_instance(path, str(path.relative_to(root))))
    return out


def generate_instances(seed: int = 0) -> list[Instance]:
    """Instances with W5A's parameters: 40-100 orders, 30-75 articles a cart, order
    sizes 5-25 articles, class-based (ABC over aisles near the depot) or random storage."""
    rng = random.Random(seed)
    out = []
    for storage in ("abc", "ran"):
        for rep in (1, 2):
            for n in (40, 60, 80, 100):
                for cap in (30, 45, 60, 75):
                    for letter in "sl":
                        orders = []
                        for _ in range(n):
                            size = rng.randint(5, 25)
                            orders.append(tuple(_article(rng, storage) for _ in range(size)))
                        name = f"gen-{storage}{rep}/{letter}-{n}-{cap}-0.txt"
                        out.append(Instance(name, POLICY[letter], cap, tuple(orders)))
    return out[::2]  # 64 instances, both policies represented


def _article(rng: random.Random, storage: str) -> tuple[int, int]:
    if storage == "ran":
        return rng.randrange(10), rng.randrange(45)
    r = rng.random()  # class A (52 %) in aisle 0-1, B (36 %) in 2-4, C in the rest
    aisle = (
        rng.randrange(2) if r < 0.52 else rng.randrange(2, 5) if r < 0.88 else rng.randrange(5, 10)
    )
    return aisle, rng.randrange(45)


def instance_orders(inst: Instance, geo: Geometry) -> list[BatchOrder]:
    return [
        BatchOrder(
            k,
            tuple(
                sorted(
                    {geo.aisle_point(a, 1.5 + loc) for a, loc in o}, key=lambda p: (p.aisle, p.y)
                )
            ),
            articles=len(o),
        )
        for k, o in enumerate(inst.orders)
    ]


def solve_instance(
    inst: Instance,
    budget: float,
    seed: int,
    iterations: int | None = None,
    work: float | None = None,
    pool: PlannerPool | None = None,
    rounds: int = 4,
) -> dict:
    """Plan one instance: in this process, or with ``pool``'s workers searching together
    (then ``budget`` is wall seconds and ``seconds`` the wall clock of the whole
    parallel planning, dispatch included; otherwise ``budget`` is CPU seconds)."""
    geo = w5a_geometry()
    orders = instance_orders(inst, geo)
    cart = Cart(articles=inst.capacity)
    started = time.perf_counter()
    cpu = time.process_time()
    if pool is not None:
        if work is None:
            raise ValueError("planning with a pool needs a work budget")
        plan = pool.plan(geo, orders, cart, seed=seed, work=work, rounds=rounds, seconds=budget)
        stopped = plan.stats["clock_stops"] > 0
        worker_cpu = plan.stats["cpu_seconds"]
    else:
        plan = plan_batches(
            geo,
            orders,
            cart,
            seed=seed,
            time_budget_s=budget,
            max_iterations=iterations,
            clock=time.process_time,
            work_budget=work,
        )
        stopped = work is not None and plan.stats["work"] < work
    cpu = time.process_time() - cpu
    if pool is not None:
        cpu = worker_cpu
    seconds = time.perf_counter() - started
    fcfs_distance = 0.0
    for batch in fcfs(orders, cart):
        stops = {p for i in batch for p in orders[i].stops}
        fcfs_distance += route(geo, stops, inst.policy).distance
    return {
        "name": inst.name,
        "orders": len(orders),
        "capacity": inst.capacity,
        "batches": [list(b) for b in plan.batches],
        "distance": round(plan.total_distance, 3),
        "fcfs_distance": round(fcfs_distance, 3),
        "seconds": round(seconds, 3),
        # with a pool: per round the CPU time of the slowest worker, summed over rounds
        "cpu_seconds": round(cpu, 3),
        "iterations": plan.iterations,
        "evaluations": plan.stats["evaluations"],
        "calls": plan.stats["calls"],
        "column_misses": plan.stats["column_misses"],
        "scans": plan.stats["scans"],
        "work": round(plan.stats["work"]),
        "stopped_by_clock": stopped,
    }


def _solve(args: tuple[Instance, float, int, int | None, float | None]) -> dict:
    return solve_instance(*args)


def run_instances(
    instances: list[Instance],
    budget: float,
    seed: int,
    workers: int,
    iterations: int | None = None,
    work: float | None = None,
    rounds: int = 4,
    parallel: bool = True,
    ortools_seconds: float = 0.0,
) -> dict:
    """With ``parallel``, one instance at a time, planned by ``workers`` processes
    together; otherwise ``workers`` instances at a time, one process each."""
    if parallel and workers > 1 and work:
        with PlannerPool(workers) as pool:
            results = [
                solve_instance(inst, budget, seed, work=work, pool=pool, rounds=rounds)
                for inst in instances
            ]
    else:
        jobs = [(inst, budget, seed, iterations, work) for inst in instances]
        if workers > 1:
            with ProcessPoolExecutor(workers) as executor:
                results = list(executor.map(_solve, jobs))
        else:
            results = [_solve(j) for j in jobs]
    total = sum(r["distance"] for r in results)
    base = sum(r["fcfs_distance"] for r in results)
    peer: dict = {}
    if ortools_seconds > 0 and ortools_routing.available():
        peer = _ortools_figures(instances, results, ortools_seconds, workers)
    return {
        **peer,
        "instances": results,
        "total_distance": round(total, 3),
        "total_fcfs_distance": round(base, 3),
        "improvement_pct": round(100 * (base - total) / base, 2) if base else 0.0,
        "max_seconds": max((r["seconds"] for r in results), default=0.0),
        "max_cpu_seconds": max((r["cpu_seconds"] for r in results), default=0.0),
        "mean_cpu_seconds": round(sum(r["cpu_seconds"] for r in results) / len(results), 3)
        if results
        else 0.0,
        "mean_seconds": round(sum(r["seconds"] for r in results) / len(results), 3)
        if results
        else 0.0,
        "total_cpu_seconds": round(sum(r["cpu_seconds"] for r in results), 2),
        "stopped_by_clock": sum(1 for r in results if r.get("stopped_by_clock")),
    }


def _ortools_instance(args: tuple[Instance, list[list[int]], float]) -> tuple[float, int]:
    """OR-Tools' length for each of our batches of one instance: (total, batches where
    it is shorter than ours)."""
    inst, batches, seconds = args
    geo = w5a_geometry()
    orders = instance_orders(inst, geo)
    total, shorter = 0.0, 0
    for b in batches:
        stops = sorted({p for i in b for p in orders[i].stops}, key=lambda p: (p.aisle, p.y))
        length = ortools_routing.route_length(geo, stops, seconds)
        total += length
        shorter += length < route(geo, set(stops)).distance - 1e-6
    return total, shorter


def _ortools_figures(
    instances: list[Instance], results: list[dict], seconds: float, workers: int
) -> dict:
    """Our batches routed by OR-Tools after the timed planning (not in its seconds)."""
    jobs = [(inst, r["batches"], seconds) for inst, r in zip(instances, results, strict=True)]
    with ProcessPoolExecutor(max(1, workers)) as executor:
        figures = list(executor.map(_ortools_instance, jobs))
    for r, (length, shorter) in zip(results, figures, strict=True):
        r["ortools_distance"] = round(length, 3)
        r["ortools_shorter_batches"] = shorter
    return {
        "total_ortools_distance": round(sum(f[0] for f in figures), 3),
        "ortools_shorter_batches": sum(f[1] for f in figures),
        "ortools": f"our batches routed by OR-Tools (guided local search, {seconds} s a batch)",
    }


def demo_wave(layout: Layout, n: int, seed: int) -> list[BatchOrder]:
    """An e-commerce wave: 1-4 lines an order (half single-line), SKUs by popularity
    (a fifth of the SKUs take most picks), each SKU in its own pick location."""
    rng = random.Random(seed)
    picks = [loc for loc in layout.locations() if loc.kind == "pick"]
    rng.shuffle(picks)
    weights = [1.0 / (k + 1) ** 0.9 for k in range(len(picks))]
    orders = []
    for k in range(n):
        lines = 1 if rng.random() < 0.5 else rng.randint(2, 4)
        locs = rng.choices(picks, weights, k=lines)
        stops = tuple(
            sorted({layout.point_of(loc.code) for loc in locs}, key=lambda p: (p.aisle, p.y))
        )
        units = sum(rng.choice((1, 1, 1, 2)) for _ in locs)
        orders.append(BatchOrder(k, stops, articles=units, volume=round(rng.uniform(0.3, 6.0), 2)))
    return orders


def run_scale(layout_path: Path, n: int, seed: int, budget: float) -> dict:
    """Plan one wave of ``n`` orders in the demo warehouse; compare with FCFS."""
    layout = Layout.from_file(layout_path)
    geo = layout.geometry
    orders = demo_wave(layout, n, seed)
    cart = Cart(totes=12, volume=60.0)  # one order a tote, 60 litres a cart
    started = time.perf_counter()
    cpu = time.process_time()
    rc = RouteCost(geo, [o.stops for o in orders])
    plan = plan_batches(geo, orders, cart, seed=seed, time_budget_s=budget, cost=rc)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    base = fcfs(orders, cart)
    fcfs_distance = sum(rc.of(b) for b in base)
    return {
        "orders": n,
        "batches": len(plan.batches),
        "fcfs_batches": len(base),
        "distance_m": round(plan.total_distance, 1),
        "fcfs_distance_m": round(fcfs_distance, 1),
        "improvement_pct": round(100 * (fcfs_distance - plan.total_distance) / fcfs_distance, 2),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "iterations": plan.iterations,
        "construction_m": round(plan.stats["construction"], 1),
        "note": "distances: optimal one-block-view routes (front/back cross aisles)",
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wms bench planner")
    add_site_argument(parser)  # its layout, for --scale
    parser.add_argument("--instances", type=Path, default=None)
    parser.add_argument("--generate", action="store_true", help="use generated instances")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--budget",
        type=float,
        default=0.95,
        help="seconds of planning per instance at most (a safety stop next to --work): "
        "wall clock when the workers plan together, CPU seconds with --independent",
    )
    parser.add_argument(
        "--work",
        type=float,
        default=700_000,
        help="effort per instance in work units (about a CPU microsecond each, see "
        "batching): the repeatable budget; 0 for none (time budget only)",
    )
    parser.add_argument(
        "--ortools-seconds",
        type=float,
        default=0.05,
        help="if OR-Tools is installed: its search time per batch when it re-routes our "
        "batches for comparison (after the timed planning); 0 to skip",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="with several workers: rounds of search after which they swap their best plan",
    )
    parser.add_argument(
        "--independent",
        action="store_true",
        help="one process an instance, several instances at a time (the old mode)",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N instances only")
    parser.add_argument("--scale", type=int, default=None, help="orders in one demo wave")
    parser.add_argument("--scale-budget", type=float, default=7.0, help="search seconds")
    args = parser.parse_args(argv)
    if args.scale:
        result = run_scale(args.site / "layout.json", args.scale, args.seed, args.scale_budget)
    else:
        root = args.instances or (DEFAULT_INSTANCES if DEFAULT_INSTANCES.is_dir() else None)
        if args.generate:
            root = None
        instances = load_instances(root) if root else generate_instances(args.seed)
        if args.limit:
            instances = instances[: args.limit]
        result = run_instances(
            instances,
            args.budget,
            args.seed,
            args.workers,
            work=args.work or None,
            rounds=args.rounds,
            parallel=not args.independent,
            ortools_seconds=args.ortools_seconds,
        )
        result["source"] = str(root) if root else "generator"
    text = json.dumps(result, indent=1)
    if args.json:
        args.json.write_text(text)
    summary = {k: v for k, v in result.items() if k != "instances"}
    print(json.dumps(summary, indent=1), file=sys.stdout)
    return 0

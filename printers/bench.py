"""Benchmark: carrier labels rendered to ZPL per second, and delivered to the simulator.

python -m printers.bench --json PATH
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from printers.labels import Address, CarrierLabelData, render_carrier_label
from printers.printer import open_printer
from printers.samples import CARRIER
from printers.simulator import SimulatorThread


def bench_render(seconds: float = 2.0) -> float:
    """Carrier labels rendered to ZPL per second; each label has its own data."""
    c, r = CARRIER, CARRIER.recipient
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            # Distinct order refs and weights: no caching of whole labels flatters us.
            # Built the way the server builds them: constructors, not dataclasses.replace.
            recipient = Address(f"Customer {count}", r.lines, r.postal_code, r.city, r.country)
            data = CarrierLabelData(
                CARRIER.sender, recipient, c.carrier, c.service, c.routing_code,
                c.tracking_number, c.sscc, 1000 + count, f"TT-{count}", 1, 1,
            )  # fmt: skip
            render_carrier_label(data)
            count += 1
    return count / elapsed


def bench_deliver(labels: int = 1000) -> float:
    """Labels delivered per second over TCP to the simulator, each acknowledged by ~HS."""
    jobs = [render_carrier_label(replace(CARRIER, order_ref=f"TT-{i}")) for i in range(labels)]
    with SimulatorThread() as sim, open_printer(sim.url) as printer:
        printer.print(jobs[0])  # connect and warm up outside the clock
        start = time.perf_counter()
        for job in jobs:
            printer.print(job, check=True)  # ~HS before and after every label
        elapsed = time.perf_counter() - start
        sim.wait_for_labels(labels + 1)
    return labels / elapsed


def main(argv: list[str] | None = None) -> None:
    """Run both benchmarks and print (or write) the figures as JSON."""
    p = argparse.ArgumentParser(prog="python -m printers.bench", description=__doc__)
    p.add_argument("--json", help="write the results to this file")
    p.add_argument("--seconds", type=float, default=2.0, help="render benchmark duration")
    p.add_argument("--labels", type=int, default=1000, help="labels to deliver")
    args = p.parse_args(argv)
    result = {
        "render_per_s": round(bench_render(args.seconds), 1),
        "deliver_per_s": round(bench_deliver(args.labels), 1),
    }
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

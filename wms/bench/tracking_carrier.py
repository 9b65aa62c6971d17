"""The bench's carrier on loopback: a tracking API answering in batches, the tracker asking it."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from wms.carriers.generic import GenericCarrier
from wms.domain.tracking import Tracker
from wms.services import tracking_webhook


class FakeCarrier:
    """A carrier's tracking API on loopback: POST /track {"tracking_numbers": [...]}."""

    def __init__(self, base: datetime) -> None:
        self.base, self.asks = base, 0
        carrier = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                numbers = json.loads(body)["tracking_numbers"]
                carrier.asks += 1
                answer = json.dumps({"trackers": [carrier.story(n) for n in numbers]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def story(self, number: str) -> dict[str, Any]:
        """Collected an hour after the handover, sorted three hours later: two events."""
        steps = (
            (1, "PU", "picked_up", "Collected at the warehouse", "Warehouse dock"),
            (4, "IT", "in_transit", "Sorted, on its way", "Sort centre"),
        )
        return {
            "tracking_number": number,
            "estimated_delivery": (self.base + timedelta(days=2)).strftime("%Y-%m-%d"),
            "events": [
                {
                    "date": (at := self.base + timedelta(hours=h)).strftime("%Y-%m-%d"),
                    "time": at.strftime("%H:%M"),
                    "code": code,
                    "status": status,
                    "description": text,
                    "location": place,
                }
                for h, code, status, text, place in steps
            ],
        }

    def __enter__(self) -> FakeCarrier:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclasses.dataclass(frozen=True)
class LoopbackTracker(GenericCarrier):
    """The generic carrier with its tracker asking the fake carrier (one call a batch)."""

    url: str = ""
    # One client for the pass: a new one a call built an SSL context each time (35 ms of
    # CPU a call, a fifth of the pass's).
    http: httpx.Client = dataclasses.field(
        default_factory=lambda: httpx.Client(timeout=60), compare=False, repr=False
    )

    def track(
        self, numbers: Sequence[str], since: Mapping[str, datetime] | None = None
    ) -> list[Tracker]:
        r = self.http.post(f"{self.url}/track", json={"tracking_numbers": list(numbers)})
        r.raise_for_status()
        parse = tracking_webhook.parse_tracker
        return [parse(json.dumps({"data": t}).encode()) for t in r.json()["trackers"]]

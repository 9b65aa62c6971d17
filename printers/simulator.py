"""wms-printer-sim: a virtual ZPL printer on TCP for the demo and the tests.

It keeps every label it receives (split on ^XA..^XZ), answers ~HS with real frames,
and can be switched to paper out, head open, paused, ribbon out, slow, or dropping
connections: from Python (in-process, async or from a thread), from the command line,
or through a small HTTP control port::

    wms-printer-sim --port 9100 --store var/labels --control-port 9101
    curl -X POST localhost:9101/fault/paper_out      # or head_open, ribbon_out, paused
    curl -X POST localhost:9101/clear
    curl -X POST 'localhost:9101/slow?seconds=0.5'
    curl -X POST 'localhost:9101/drop?count=3'
    curl localhost:9101/status
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from printers.status import PrinterStatus, format_host_status

log = logging.getLogger("printers.simulator")

FAULTS = ("paper_out", "head_open", "ribbon_out", "paused")
_HS = b"~HS"
_XA, _XZ = b"^XA", b"^XZ"


@dataclass
class SimulatorState:
    """What the simulated printer is doing; changed through the simulator's methods."""

    faults: set[str] = field(default_factory=set)
    silent: bool = False  # no ~HS answer while faulted, as current Zebra firmware does
    slow: float = 0.0  # seconds spent printing each label
    drop: int = 0  # connections still to drop (-1: all)
    drop_after_bytes: int = 0  # read this much of a dropped connection first
    cut_after_label: int = 0  # labels still to end by dropping the connection (-1: all)
    fault_after_label: str = ""  # a fault that comes on as the next label comes out


class PrinterSimulator:
    """An asyncio virtual printer: ``async with PrinterSimulator(port=0) as sim: ...``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        store: str | Path | None = None,
        preview: bool = False,
        label_length: int = 1218,
    ) -> None:
        self.host, self.requested_port = host, port
        self.store = Path(store) if store else None
        self.preview = preview
        self.label_length = label_length
        self.state = SimulatorState()
        self.labels: list[bytes] = []  # printed, in order
        self.pending: list[bytes] = []  # received while faulted: printed on clear()
        self.status_queries = 0
        self.connections = 0
        self.received = 0  # labels taken in, printed or not yet (a slow one is coming out)
        self._server: asyncio.AbstractServer | None = None
        self._control: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self._previews: set[asyncio.Future] = set()
        self.port = 0
        self.control_port = 0

    # -- switches -------------------------------------------------------------
    def set_fault(self, fault: str, on: bool = True, silent: bool | None = None) -> None:
        """Switch a fault on or off: paper_out, head_open, ribbon_out, paused."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        if on:
            self.state.faults.add(fault)
        else:
            self.state.faults.discard(fault)
        if silent is not None:
            self.state.silent = silent
        if not self.state.faults:
            self._release_pending()

    def clear(self) -> None:
        """Back to normal: no fault, not slow, no dropping; buffered labels print now."""
        self.state = SimulatorState()
        self._release_pending()

    def set_slow(self, seconds: float) -> None:
        """Spend ``seconds`` printing each label (the connection is not read meanwhile)."""
        self.state.slow = seconds

    def set_dropping(self, count: int = -1, after_bytes: int = 0) -> None:
        """Drop the next ``count`` connections (-1: all), optionally after some bytes."""
        self.state.drop, self.state.drop_after_bytes = count, after_bytes

    def set_cutting(self, count: int = 1) -> None:
        """Print each of the next ``count`` labels (-1: all), then drop the connection at
        once, before any answer: the sender cannot tell whether its label came out."""
        self.state.cut_after_label = count

    def set_running_out(self, fault: str = "paper_out") -> None:
        """The next label is the roll's last: it prints, then ``fault`` is on."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        self.state.fault_after_label = fault

    def disconnect_all(self) -> None:
        """Close every open connection, as a printer does after its idle timeout."""
        for writer in list(self._writers):
            writer.close()

    def status(self) -> PrinterStatus:
        """The status the printer would report now."""
        f = self.state.faults
        return PrinterStatus(
            paper_out="paper_out" in f,
            paused="paused" in f,
            head_open="head_open" in f,
            ribbon_out="ribbon_out" in f,
            label_length=self.label_length,
            formats_in_buffer=len(self.pending),
            labels_remaining=len(self.pending),
        )

    def _release_pending(self) -> None:
        pending, self.pending = self.pending, []
        for label in pending:
            self._print(label)

    def _print(self, label: bytes) -> None:
        self.labels.append(label)
        if self.store is not None:
            self.store.mkdir(parents=True, exist_ok=True)
            path = self.store / f"{len(self.labels):06d}.zpl"
            path.write_bytes(label)
            if self.preview:
                # Rendering takes a second or more: never stall the printer's loop on it.
                try:
                    future = asyncio.get_running_loop().run_in_executor(None, _preview, path)
                    self._previews.add(future)
                    future.add_done_callback(self._previews.discard)
                except RuntimeError:  # called from outside the loop
                    _preview(path)

    # -- serving --------------------------------------------------------------
    async def start(self, control_port: int | None = None) -> PrinterSimulator:
        """Listen; ``port`` holds the bound port afterwards (pass port=0 for a free one)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.requested_port)
        self.port = self._server.sockets[0].getsockname()[1]
        if control_port is not None:
            self._control = await asyncio.start_server(self._serve_control, self.host, control_port)
            self.control_port = self._control.sockets[0].getsockname()[1]
        log.info("virtual printer on tcp://%s:%d", self.host, self.port)
        return self

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        for server in (self._server, self._control):
            if server is not None:
                server.close()
        for writer in list(self._writers):
            writer.close()
        # Handlers may sleep (slow mode) or wait for data: end them with the server,
        # so no task outlives its event loop.
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in (self._server, self._control):
            if server is not None:
                with contextlib.suppress(Exception):
                    await server.wait_closed()

    async def __aenter__(self) -> PrinterSimulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The printer URL to hand to ``open_printer``."""
        return f"tcp://{self.host}:{self.port}"

    async def wait_for_previews(self) -> None:
        """Wait until every PNG preview being rendered is written."""
        while self._previews:
            await asyncio.gather(*list(self._previews), return_exceptions=True)

    async def wait_for_labels(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """Wait until ``count`` labels were printed; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while len(self.labels) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.labels)} of {count} labels printed")
            await asyncio.sleep(0.005)
        return self.labels[:count]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            if self.state.drop:
                if self.state.drop > 0:
                    self.state.drop -= 1
                if self.state.drop_after_bytes:
                    with contextlib.suppress(Exception):
                        await reader.readexactly(self.state.drop_after_bytes)
                # Abort (RST), like a printer power-cycled or a switch port flapping.
                writer.transport.abort()
                return
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # stop() cancels handlers; end quietly (asyncio.streams would log a
            # cancelled handler as an error).
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            buffer += chunk
            buffer = await self._consume(buffer, writer)

    async def _consume(self, buffer: bytes, writer: asyncio.StreamWriter) -> bytes:
        """Act on every complete command in ``buffer``; return what is left."""
        while True:
            hs = buffer.find(_HS)
            xa = buffer.find(_XA)
            xz = buffer.find(_XZ, xa) if xa >= 0 else -1
            # A tilde command acts at once, even ahead of a format still arriving.
            if hs >= 0 and (xa < 0 or hs < xa or xz < 0 or hs < xz):
                buffer = buffer[:hs] + buffer[hs + len(_HS) :]
                await self._answer_status(writer)
                continue
            if xa >= 0 and xz >= 0:
                label, buffer = buffer[xa : xz + len(_XZ)], buffer[xz + len(_XZ) :]
                await self._receive(label)
                if self.state.cut_after_label:
                    if self.state.cut_after_label > 0:
                        self.state.cut_after_label -= 1
                    writer.transport.abort()  # a cable pulled, a switch port flapping
                    raise ConnectionResetError("cut after a label")
                continue
            if xa < 0:
                # Nothing that starts a format: keep only a possible partial command.
                return buffer[-2:]
            return buffer[xa:]

    async def _receive(self, label: bytes) -> None:
        self.received += 1
        if self.state.faults:
            self.pending.append(label)
            return
        if self.state.slow:
            await asyncio.sleep(self.state.slow)
        self._print(label)
        if self.state.fault_after_label:
            self.state.faults.add(self.state.fault_after_label)
            self.state.fault_after_label = ""

    async def _answer_status(self, writer: asyncio.StreamWriter) -> None:
        self.status_queries += 1
        if self.state.faults and self.state.silent:
            return
        writer.write(format_host_status(self.status()))
        await writer.drain()

    # -- control port ---------------------------------------------------------
    async def _serve_control(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = request.split(b"\r\n", 1)[0].decode("ascii").split(" ", 2)
            code, body = self.control(method, target)
        except Exception as exc:  # a bad control request must not stop the printer
            code, body = 400, {"error": str(exc)}
        data = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {code} {'OK' if code == 200 else 'Bad Request'}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + data
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    def control(self, method: str, target: str) -> tuple[int, dict]:
        """Apply one control request (``POST /fault/paper_out``...); (HTTP code, JSON body)."""
        parts = urlsplit(target)
        path = parts.path.strip("/").split("/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if method == "POST":
            if path[0] == "fault" and len(path) == 2:
                silent = query.get("silent")
                self.set_fault(
                    path[1], query.get("on", "1") != "0", None if silent is None else silent == "1"
                )
            elif path == ["clear"]:
                self.clear()
            elif path == ["slow"]:
                self.set_slow(float(query.get("seconds", "0")))
            elif path == ["drop"]:
                self.set_dropping(int(query.get("count", "-1")), int(query.get("after", "0")))
            elif path == ["cut"]:
                self.set_cutting(int(query.get("count", "1")))
            else:
                return 400, {"error": f"unknown control {parts.path}"}
        elif not (method == "GET" and path == ["status"]):
            return 400, {"error": f"unknown control {method} {parts.path}"}
        return 200, self.snapshot()

    def snapshot(self) -> dict:
        """The simulator's state as JSON-able data."""
        state = replace(self.state, faults=set())
        return {
            **asdict(state),
            "faults": sorted(self.state.faults),
            "labels": len(self.labels),
            "pending": len(self.pending),
            "status_queries": self.status_queries,
            "port": self.port,
        }


def _preview(zpl_path: Path) -> None:
    """PNG next to the stored ZPL, through zpl-renderer-js when node has it installed."""
    import os
    import shutil
    import subprocess

    # The repository's zpl-renderer-js script, or another one named by the environment.
    default = Path(__file__).resolve().parent.parent / "tests" / "oracle" / "render.js"
    script = Path(os.environ.get("WMS_ZPL_RENDERER", default))
    if not (shutil.which("node") and script.exists()):
        log.warning("no preview: node or %s missing", script)
        return
    result = subprocess.run(
        ["node", str(script), str(zpl_path.with_suffix(""))],
        input=zpl_path.read_bytes(),
        capture_output=True,
        timeout=60,
    )
    if result.returncode != 0:
        log.warning("preview of %s failed: %s", zpl_path, result.stderr.decode()[-300:])


class SimulatorThread:
    """The simulator on its own event loop thread, for sync code and sync tests.

    ``with SimulatorThread() as sim: open_printer(sim.url).print(zpl); sim.labels``
    """

    def __init__(self, **kwargs: object) -> None:
        self.sim = PrinterSimulator(**kwargs)  # type: ignore[arg-type]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self, control_port: int | None = None) -> SimulatorThread:
        """Start the loop thread and the server; returns when it listens."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.sim.start(control_port), self._loop).result(10)
        return self

    def stop(self) -> None:
        """Stop the server and the thread."""
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def call(self, method: str, *args: object, **kwargs: object) -> object:
        """Run a simulator method on its loop (switches are safe to call directly too)."""

        async def run() -> object:
            return getattr(self.sim, method)(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def wait_for_labels(self, count: int, timeout: float = 5.0) -> list[bytes]:
        """Block until ``count`` labels were printed."""
        coro = self.sim.wait_for_labels(count, timeout)
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout + 1)

    def __getattr__(self, name: str) -> object:
        # port, url, labels, pending, set_fault, set_slow, clear... of the simulator.
        return getattr(self.sim, name)

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(
    port: int = 9100,
    store: str | Path | None = None,
    host: str = "127.0.0.1",
    preview: bool = False,
    control_port: int | None = None,
) -> SimulatorThread:
    """Start a virtual printer in a daemon thread (``wms demo``); ``.stop()`` ends it."""
    return SimulatorThread(host=host, port=port, store=store, preview=preview).start(control_port)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point: ``wms-printer-sim``."""
    p = argparse.ArgumentParser(prog="wms-printer-sim", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9100)
    p.add_argument("--store", help="directory to keep every label in (NNNNNN.zpl)")
    p.add_argument("--preview", action="store_true", help="also render NNNNNN-0.png (needs node)")
    p.add_argument("--control-port", type=int, help="HTTP control port (faults, slow, drop)")
    for fault in FAULTS:
        p.add_argument(f"--{fault.replace('_', '-')}", action="store_true", help=f"start {fault}")
    p.add_argument("--silent", action="store_true", help="no ~HS answer while faulted")
    p.add_argument("--slow", type=float, default=0.0, help="seconds to print each label")
    p.add_argument("--drop", type=int, default=0, help="drop N connections (-1: all)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def serve() -> None:
        sim = PrinterSimulator(args.host, args.port, args.store, args.preview)
        for fault in FAULTS:
            if getattr(args, fault):
                sim.set_fault(fault, silent=args.silent)
        sim.set_slow(args.slow)
        sim.set_dropping(args.drop)
        await sim.start(args.control_port)
        print(f"wms-printer-sim listening on {sim.url}", flush=True)
        if sim.control_port:
            print(f"control on http://{args.host}:{sim.control_port}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await sim.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()

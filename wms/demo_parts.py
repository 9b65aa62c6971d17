"""The demo beside the server: its ports, a virtual label printer, a channel sandbox."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from wms.config import Settings

DEMO_PORTS = (
    ("WMS_PORT", "the API"),
    ("WMS_PRINTER_PORT", "the virtual label printer"),
    ("WMS_SANDBOX_PORT", "the channel sandbox"),
)


def taken_port(settings: Settings, ports: dict[str, int]) -> str | None:
    """One line naming the first port the demo needs that something else holds, or None."""
    for variable, what in DEMO_PORTS:
        port = ports[variable]
        host = settings.host if variable == "WMS_PORT" else "127.0.0.1"
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                return f"wms demo: port {port} ({what}) is taken; set {variable} to a free port"
    return None


async def point_demo_at(settings: Settings, printer_port: int, sandbox_port: int) -> None:
    """The demo's stations and channels use the virtual printer and sandbox on their ports."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from wms.db import Database
    from wms.models import Channel
    from wms.models.shipping import PackStation

    local = "tcp://127.0.0.1:"
    sandbox = "http://127.0.0.1:"

    def point(s: Session) -> None:
        s.execute(
            update(PackStation)
            .where(PackStation.label_printer_url.startswith(local))
            .values(label_printer_url=f"{local}{printer_port}")
        )
        for kind in ("tiktok", "shopify", "woocommerce", "own"):
            s.execute(
                update(Channel)
                .where(Channel.kind == kind, Channel.api_base_url.startswith(sandbox))
                .values(api_base_url=f"{sandbox}{sandbox_port}/{kind}")
            )

    db = Database(settings.database_url)
    try:
        await db.run(point)
    finally:
        await db.dispose()


def start_printer(port: int) -> str:
    try:
        from printers.simulator import start_in_thread
    except ImportError:
        return "not available"
    store = Path(os.environ.get("WMS_PRINTER_STORE", "var/printed"))
    sim = start_in_thread(port=port, store=store)
    return f"tcp://127.0.0.1:{sim.port} (virtual; labels kept in {store})"


def start_channel_sandbox(port: int = 8766) -> str:
    """The demo's channels push stock to the sandbox (127.0.0.1:8766): it answers as a shop."""
    import threading

    import uvicorn

    from wms.bench.sink import app

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    return f"sandbox at http://127.0.0.1:{port} (takes the demo channels' pushes)"

"""The `wms` command: serve, migrate, load fixtures, check invariants, benchmark."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import os
import socket
import sys
from pathlib import Path

from wms.config import ROOT, Settings
from wms.demo_parts import point_demo_at, start_channel_sandbox, start_printer, taken_port

# The demo: its site (`wms demo`, and what the benches run on) and a channel's example order.
DEMO_SITE = ROOT / "fixtures" / "demo"
DEMO_ORDER_EXAMPLE = ROOT / "fixtures" / "channels" / "shopify_orders_create.json"

BENCHES = {
    "planner": "wms.bench.planner",
    "intake": "wms.bench.intake",
    "floor": "wms.bench.floor",
    "board": "wms.bench.board",
    "reports": "wms.bench.reports",
    "tracking": "wms.bench.tracking",
}


def _bench(argv: list[str]) -> int:
    if not argv or argv[0] not in BENCHES:
        print(f"usage: wms bench {{{','.join(BENCHES)}}} [options]", file=sys.stderr)
        return 2
    from wms.services.secrets import ensure_run_key

    ensure_run_key()  # the demo site's channel secrets are sealed in the bench's databases
    module = importlib.import_module(BENCHES[argv[0]])
    # The demo's files first: an option given on the command line comes later and wins.
    return int(module.main([*_demo_inputs(argv[0]), *argv[1:]]) or 0)


def _demo_inputs(bench: str) -> list[str]:
    """What a bench runs on by default: the demo site, loaded as a merchant's own site is.

    `fixtures/` is the demo's; only this module names it (the benches take directories).
    """
    inputs = ["--site", str(DEMO_SITE)]
    if bench == "intake":
        inputs += ["--order-example", str(DEMO_ORDER_EXAMPLE)]
    return inputs


def _upgrade(settings: Settings) -> None:
    from wms import migrate

    migrate.upgrade(settings.database_url)


async def _load(settings: Settings, folder: Path, only_if_empty: bool) -> dict[str, int] | None:
    from wms.db import Database
    from wms.services import loader

    db = Database(settings.database_url)
    try:
        if only_if_empty and not await loader.is_empty(db):
            return None
        return await loader.load_warehouse(db, folder)
    finally:
        await db.dispose()


def _site(action: str, folder: Path) -> int:
    """`wms site init DIR` writes a starter site; `wms site check DIR` lists its problems."""
    if action == "init":
        from wms.services.site_starter import init_site

        try:
            written = init_site(folder)
        except FileExistsError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"wrote a starter site to {folder}: {', '.join(p.name for p in written)}")
        print(f"edit it, then: wms site check {folder} && wms load {folder}")
        return 0
    from wms.services.site_files import read_site

    site, problems = read_site(folder)
    for problem in problems:
        print(problem)
    if problems:
        print(f"wms site check: {len(problems)} problem(s) in {folder}", file=sys.stderr)
        return 1
    print(
        f"wms site check: {folder} is fine ({len(site.locations)} locations, "
        f"{len(site.products)} products, {len(site.stock)} stock lines)"
    )
    return 0


def _refuse_unmigrated(settings: Settings) -> None:
    from wms import migrate

    reason = asyncio.run(migrate.unmigrated(settings.database_url))
    if reason:
        raise SystemExit(reason)
    _refuse_without_key(settings)


def _refuse_without_key(settings: Settings) -> None:
    from wms.db import Database
    from wms.services.secrets import refuse_without_key

    async def check() -> None:
        db = Database(settings.database_url)
        try:
            await refuse_without_key(db)
        finally:
            await db.dispose()

    asyncio.run(check())


def _secrets(settings: Settings, action: str) -> int:
    """`wms secrets new-key` prints a fresh key; `rotate-key` re-seals every stored secret."""
    from wms.secret_box import SecretKeyError, new_key

    if action == "new-key":
        print(new_key())
        return 0
    from wms.db import Database
    from wms.services.secrets import rotate_key

    async def rotate() -> int:
        db = Database(settings.database_url)
        try:
            return await db.run(rotate_key)
        finally:
            await db.dispose()

    try:
        count = asyncio.run(rotate())
    except SecretKeyError as exc:
        print(f"wms secrets rotate-key: {exc}", file=sys.stderr)
        return 1
    print(f"re-sealed {count} secret(s) with the first key: older keys may now be dropped")
    return 0


async def _check(settings: Settings) -> int:
    from wms.db import Database
    from wms.services.check import violations

    db = Database(settings.database_url)
    try:
        found = await violations(db)
    finally:
        await db.dispose()
    for line in found:
        print(f"VIOLATION {line}")
    print(f"wms check: {len(found)} violation(s)")
    return 1 if found else 0


async def _rates(settings: Settings, path: Path) -> int:
    from wms.db import Database
    from wms.errors import WmsError
    from wms.services import rates

    db = Database(settings.database_url)
    try:
        print(f"loaded {await rates.load(db, path)} rate(s) from {path.name}")
    except WmsError as exc:
        print(f"wms rates: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    return 0


def _serve(settings: Settings) -> None:
    import uvicorn

    from wms.app import create_app
    from wms.config import KEEP_ALIVE_S

    app = create_app(settings)
    _settle_heap()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    # A socket already bound and listening may be handed down by the process that started
    # us (tests, benches): nobody else can take its port between choosing it and binding.
    # Not uvicorn's `fd=`: it takes any descriptor for a Unix socket, so TCP_NODELAY is
    # never set and every answer waits about 40 ms for a delayed ACK.
    fd = os.environ.get("WMS_LISTEN_FD")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=int(fd))] if fd else None)


def _settle_heap() -> None:
    """Exempt what start-up built (modules, routes, table metadata) from garbage collection.

    Otherwise each full collection walks it all again: one took 130-160 ms of a serving
    process, and every scan in flight waited for it.
    """
    gc.collect()
    gc.freeze()


async def _worker(settings: Settings) -> None:
    """The outbox (channel pushes, order fetches, print jobs, tracking) and the tracking
    poller in their own process: the poll pass's CPU work never shares the server's GIL."""
    from wms.db import Database
    from wms.services import site_carriers
    from wms.services.outbox import OutboxWorker
    from wms.services.tracking_poll import Poller

    db = Database(settings.database_url)
    carrier_watch = site_carriers.CarrierWatch(db)  # as the server: reloaded carriers taken
    await carrier_watch.start()  # the carriers the poller asks
    worker = OutboxWorker(db, poll_s=settings.outbox_poll_s)
    poller = Poller(db)
    polling = asyncio.create_task(poller.run())
    watching = asyncio.create_task(carrier_watch.run())
    _settle_heap()
    try:
        await worker.run()
    finally:
        poller.stop()
        carrier_watch.stop()
        await watching
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(polling, 5)
        await worker.http.aclose()
        await db.dispose()


def _demo(settings: Settings, printer_port: int, sandbox_port: int) -> None:
    """`make run`: migrate, load the demo warehouse if empty, start a virtual printer, serve."""
    ports = {
        "WMS_PORT": settings.port,
        "WMS_PRINTER_PORT": printer_port,
        "WMS_SANDBOX_PORT": sandbox_port,
    }
    taken = taken_port(settings, ports)
    if taken:
        print(taken, file=sys.stderr)
        raise SystemExit(1)
    from wms.config import DEFAULT_VAR
    from wms.services.secrets import ensure_demo_key

    ensure_demo_key(DEFAULT_VAR)
    _upgrade(settings)
    _refuse_without_key(settings)
    counts = asyncio.run(_load(settings, DEMO_SITE, only_if_empty=True))
    loaded = f"loaded the demo warehouse: {counts}" if counts else "demo warehouse already loaded"
    asyncio.run(point_demo_at(settings, printer_port, sandbox_port))
    printer = start_printer(printer_port)
    sandbox = start_channel_sandbox(sandbox_port)
    url = f"http://{settings.host}:{settings.port}"
    print(
        f"""
WMS is running at {url}
  API docs        {url}/schema  (OpenAPI: {url}/schema/openapi.json)
  console         {url}/ui/  (supervisor: badge B3001, PIN 4321)
  database        {settings.database_url}
  {loaded}
  label printer   {printer}
  channel APIs    {sandbox}
  scanner         .venv/bin/wms-terminal --server {url} --station PACK-01
Demo logins (badge / PIN):  picker B1001 / 1234 · packer B2001 / 1234 ·
  supervisor B3001 / 4321 · admin B9001 / 9999 · integration token demo-integration-token
Stop with Ctrl-C.
""",
        flush=True,
    )
    _serve(settings)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "bench":
        return _bench(argv[1:])
    parser = argparse.ArgumentParser(prog="wms", description="Warehouse management system")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    demo = sub.add_parser("demo", help="migrate, load the demo if empty, and serve")
    demo.add_argument("--port", type=int)
    demo.add_argument(
        "--printer-port", type=int, default=int(os.environ.get("WMS_PRINTER_PORT") or 9100)
    )
    demo.add_argument(
        "--sandbox-port", type=int, default=int(os.environ.get("WMS_SANDBOX_PORT") or 8766)
    )
    db = sub.add_parser("db", help="schema migrations")
    db.add_argument("action", choices=["upgrade"])
    load = sub.add_parser("load", help="load a site folder (again after edits), in one go")
    load.add_argument("folder", type=Path)
    load.add_argument("--if-empty", action="store_true")
    site = sub.add_parser("site", help="site folders: init DIR writes a starter, check DIR")
    site.add_argument("action", choices=["init", "check"])
    site.add_argument("folder", type=Path)
    sub.add_parser("check", help="verify the invariants; exit 1 naming each violation")
    worker_help = "run the outbox worker and the tracking poller (serve with WMS_RUN_WORKERS=0)"
    sub.add_parser("worker", help=worker_help)
    rates = sub.add_parser("rates", help="currency rates: wms rates load FILE (ECB CSV)")
    rates.add_argument("action", choices=["load"])
    rates.add_argument("file", type=Path)
    secrets = sub.add_parser("secrets", help="secrets at rest: new-key, rotate-key")
    secrets.add_argument("action", choices=["new-key", "rotate-key"])
    sub.add_parser("bench", help="benchmarks: wms bench {" + ",".join(BENCHES) + "}")
    user = sub.add_parser("user", help="wms user password USER: set an office user's password")
    user.add_argument("action", choices=["password"])
    user.add_argument("username")
    args = parser.parse_args(argv)

    overrides: dict[str, object] = {}
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "host", None):
        overrides["host"] = args.host
    settings = Settings.from_env(**overrides)

    if args.command in ("serve", "load", "check", "worker", "user") or (
        args.command == "secrets" and args.action == "rotate-key"
    ):
        _refuse_unmigrated(settings)
    match args.command:
        case "serve":
            _serve(settings)
        case "demo":
            _demo(settings, args.printer_port, args.sandbox_port)
        case "db":
            _upgrade(settings)
        case "site":
            return _site(args.action, args.folder)
        case "secrets":
            return _secrets(settings, args.action)
        case "load":
            from wms.services.site_files import SiteInvalid

            try:
                counts = asyncio.run(_load(settings, args.folder, args.if_empty))
            except SiteInvalid as exc:
                for problem in exc.problems:
                    print(problem)
                print(f"wms load: {len(exc.problems)} problem(s): nothing loaded", file=sys.stderr)
                return 1
            print(f"loaded: {counts}" if counts else "not empty: nothing loaded")
        case "check":
            return asyncio.run(_check(settings))
        case "rates":
            return asyncio.run(_rates(settings, args.file))
        case "user":
            from wms.services.passwords import set_password_cli

            return set_password_cli(settings.database_url, args.username)
        case "worker":
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_worker(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

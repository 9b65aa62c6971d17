"""The intake benchmark's ceiling: a bare Litestar endpoint doing the same reservation in raw SQL.

It verifies the same Shopify signature, decodes the same body and, in one BEGIN IMMEDIATE
transaction on the same SQLite file, inserts the order row and runs the conditional UPDATE per
line that our service runs. No ORM, no outbox, no channel logic: what the database allows.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any

import aiosqlite
import uvicorn
from litestar import Litestar, Request, get, post
from litestar.exceptions import NotAuthorizedException


def build_app(db_path: str, secret: str) -> Litestar:
    state: dict[str, Any] = {}
    lock = asyncio.Lock()

    async def startup() -> None:
        conn = await aiosqlite.connect(db_path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            await conn.execute(f"PRAGMA {pragma}")
        state["conn"] = conn
        rows = await conn.execute_fetchall("SELECT sku, id FROM product")
        state["ids"] = dict(rows)  # type: ignore[arg-type]

    async def shutdown() -> None:
        await state["conn"].close()

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @post("/webhooks/{code:str}", status_code=200)
    async def reserve(request: Request, code: str) -> dict[str, Any]:
        body = await request.body()
        given = request.headers.get("x-shopify-hmac-sha256", "")
        digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        if not hmac.compare_digest(given.encode(), digest):
            raise NotAuthorizedException("bad signature")
        order = json.loads(body)
        conn = state["conn"]
        granted = 0
        async with lock:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute(
                "INSERT INTO bench_order (external_id, body) VALUES (?, ?)",
                (str(order["id"]), len(body)),
            )
            for line in order["line_items"]:
                cur = await conn.execute(
                    "UPDATE product_availability SET reserved = reserved + ? "
                    "WHERE product_id = ? AND on_hand_pickable - reserved >= ?",
                    (line["quantity"], state["ids"][line["sku"]], line["quantity"]),
                )
                granted += cur.rowcount
            await conn.execute("COMMIT")
        return {"status": "created", "lines_reserved": granted}

    @post("/pick/{n:int}", status_code=200)
    async def pick(request: Request, n: int) -> dict[str, Any]:
        """The floor benchmark's comparable write: one stock row and one ledger row."""
        await request.body()
        conn = state["conn"]
        async with lock:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("UPDATE stock SET on_hand = on_hand WHERE id = ?", (1 + n % 500,))
            await conn.execute(
                "INSERT INTO bench_order (external_id, body) VALUES (?, ?)", (f"pick-{n}", n)
            )
            await conn.execute("COMMIT")
        return {"ok": True}

    return Litestar([health, reserve, pick], on_startup=[startup], on_shutdown=[shutdown])


async def prepare(db_path: str) -> None:
    async with aiosqlite.connect(db_path) as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_order (id INTEGER PRIMARY KEY, external_id TEXT "
            "UNIQUE, body INTEGER)"
        )
        await conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    asyncio.run(prepare(args.db))
    uvicorn.run(
        build_app(args.db, args.secret), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()

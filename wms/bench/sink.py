"""A stand-in for the channels' APIs in benchmarks: accepts everything, fast, in their formats.

Runs in its own process (`python -m wms.bench.sink PORT`) so that the load generator's work
does not slow the answers down and inflate the push latency we measure. Bulk stock calls get
the answer the worker reads item by item: Shopify's GraphQL ``inventorySetQuantities`` with
no userErrors, WooCommerce's batch echoing each updated item; anything else gets TikTok's
success envelope (which the own shop's and the other channels' clients accept as a 2xx).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import uvicorn

BODY = b'{"code":0,"message":"Success","data":{}}'
SHOPIFY_GRAPHQL = re.compile(r"/admin/api/[^/]+/graphql\.json$")
WOO_BATCH = re.compile(r"/wp-json/wc/v3/products(?:/\d+/variations)?/batch$")
SET_QUANTITIES_OK = json.dumps(
    {
        "data": {
            "inventorySetQuantities": {
                "inventoryAdjustmentGroup": {"reason": "correction"},
                "userErrors": [],
            }
        }
    }
).encode()


def answer(path: str, body: bytes) -> bytes:
    """The body a channel answers a successful call to ``path`` with."""
    if SHOPIFY_GRAPHQL.search(path):
        return SET_QUANTITIES_OK
    if WOO_BATCH.search(path):
        try:
            updates = json.loads(body).get("update") or []
        except (ValueError, AttributeError):
            updates = []
        return json.dumps({"update": [{**u, "status": "publish"} for u in updates]}).encode()
    return BODY


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": answer(scope["path"], b"".join(chunks))})


def main() -> None:
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        lifespan="off",
        access_log=False,
    )


if __name__ == "__main__":
    main()

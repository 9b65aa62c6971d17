"""A stand-in for the channels' APIs in benchmarks: answers 200 to everything, fast.

Runs in its own process (`python -m wms.bench.sink PORT`) so that the load generator's work
does not slow the answers down and inflate the push latency we measure.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

BODY = b'{"code":0,"message":"Success","data":{}}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


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

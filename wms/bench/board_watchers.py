"""The supervisors of `wms bench board`: their open boards, read in a process of their own.

Supervisors' browsers are not in the pickers' process. Read and parsed in the bench's own
event loop, five boards' streams delayed the answers to the pickers' scans the bench times.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import time
from multiprocessing.connection import Connection

import httpx

_BATCH_ROW = re.compile(r'<tr id="batch-(\d+)".*?<span class="stops">(\d+)/(\d+)</span>', re.DOTALL)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
READY_S = 60

Seen = dict[tuple[int, int], float]  # (batch, stops done) -> when a board first showed it


async def signed_in(url: str) -> httpx.AsyncClient:
    """A console client signed in as the demo's supervisor."""
    c = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(60, read=None))
    page = (await c.get("/ui/login")).text
    csrf = _CSRF.search(page).group(1)  # type: ignore[union-attr]
    r = await c.post("/ui/login", data={"badge": "B3001", "pin": "4321", "csrf": csrf})
    if r.status_code != 302:
        raise RuntimeError(f"console sign-in failed: {r.status_code} {r.text[:200]}")
    return c


async def _board(url: str, seen: Seen, ready: asyncio.Event) -> None:
    """One supervisor's board: read the event stream, note when each (batch, done) shows."""
    c = await signed_in(url)
    try:
        async with c.stream("GET", "/ui/events") as r:
            event, data = "", []
            ready.set()
            async for line in r.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                elif line == "":
                    if event == "board":
                        at = time.perf_counter()  # CLOCK_MONOTONIC: the same in every process
                        for b, done, _total in _BATCH_ROW.findall("\n".join(data)):
                            for k in range(1, int(done) + 1):
                                seen.setdefault((int(b), k), at)
                    event, data = "", []
    finally:
        await c.aclose()


async def _watch(url: str, boards: int, conn: Connection) -> list[Seen]:
    seen: list[Seen] = [{} for _ in range(boards)]
    readies = [asyncio.Event() for _ in range(boards)]
    tasks = [asyncio.create_task(_board(url, seen[i], readies[i])) for i in range(boards)]
    for ready in readies:
        await asyncio.wait_for(ready.wait(), READY_S)
    conn.send("ready")
    await asyncio.to_thread(conn.recv)  # told to stop
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return seen


def _serve(url: str, boards: int, conn: Connection) -> None:
    try:
        conn.send(asyncio.run(_watch(url, boards, conn)))
    except Exception as e:  # reported to the bench, which raises it
        conn.send(f"boards failed: {e!r}")


class Boards:
    """`boards` supervisors holding the board open in a child process, until `stop`."""

    def __init__(self, url: str, boards: int) -> None:
        ctx = multiprocessing.get_context("spawn")  # a clean interpreter, no inherited loop
        self._conn, theirs = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(url, boards, theirs), daemon=True)
        self._proc.start()
        theirs.close()

    async def ready(self) -> None:
        answer = await asyncio.to_thread(self._answer, READY_S + 30)
        if answer != "ready":
            raise RuntimeError(str(answer))

    async def stop(self) -> list[Seen]:
        self._conn.send("stop")
        seen = await asyncio.to_thread(self._answer, 60)
        self._proc.join(10)
        if not isinstance(seen, list):
            raise RuntimeError(str(seen))
        return seen

    def _answer(self, timeout_s: float) -> object:
        if not self._conn.poll(timeout_s):
            self._proc.kill()
            raise RuntimeError(f"the boards' process did not answer in {timeout_s} s")
        return self._conn.recv()

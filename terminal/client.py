"""HTTP client for the floor API: bearer token, Idempotency-Key per step, typed problem errors.

Exceptions::

    ClientError
    ├── ApiError      the server answered 4xx with a problem body (code, title, expected)
    └── Offline       the server could not be reached or answered 5xx: safe to retry later
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

API = "/api/v1"
RETRY_CODES = {"request_in_progress"}  # a 409 that means "try again", not "rejected"


class ClientError(Exception):
    """Anything the client raises."""


class ApiError(ClientError):
    """A problem+json answer; `title` fits one line of a 20-column screen."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str = "",
        expected: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {title}")
        self.status, self.code, self.title = status, code, title
        self.detail, self.expected = detail, expected

    @classmethod
    def from_response(cls, r: httpx.Response) -> ApiError:
        try:
            body = r.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        expected = body.get("expected")
        return cls(
            status=r.status_code,
            code=str(body.get("code") or f"http_{r.status_code}"),
            title=str(body.get("title") or r.reason_phrase or "Error")[:40],
            detail=str(body.get("detail") or ""),
            expected=None if expected is None else str(expected),
        )


class Offline(ClientError):
    """No answer we can act on; the step may or may not have reached the server."""


def new_key() -> str:
    return uuid.uuid4().hex


class FloorClient:
    """One terminal's connection to the server; `token` is set after login."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.token = token
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        key: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if method != "GET":
            # Every mutating call carries a key; a caller that journals the step passes its own.
            headers["Idempotency-Key"] = key or new_key()
        try:
            r = await self._http.request(
                method, API + path, json=body, headers=headers, params=params
            )
        except (httpx.TransportError, OSError) as exc:
            raise Offline(str(exc) or type(exc).__name__) from exc
        if r.status_code >= 500:
            raise Offline(f"server error {r.status_code}")
        if r.status_code >= 400:
            error = ApiError.from_response(r)
            if error.code in RETRY_CODES:
                raise Offline(error.title)
            raise error
        return r.json() if r.content else None

    async def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return await self.request("GET", path, params=clean)

    async def post(self, path: str, body: dict[str, Any] | None = None, key: str = "") -> Any:
        return await self.request("POST", path, body or {}, key=key or None)

    # -- auth -----------------------------------------------------------------
    async def login(self, badge: str, pin: str) -> dict[str, Any]:
        answer = await self.post("/auth/login", {"badge": badge, "pin": pin})
        self.token = answer["token"]
        return answer

    async def logout(self) -> None:
        try:
            await self.post("/auth/logout")
        finally:
            self.token = None

    async def me(self) -> dict[str, Any]:
        return await self.get("/auth/me")

    # -- look-ups ---------------------------------------------------------------
    async def scan(self, code: str, context: str | None = None) -> dict[str, Any]:
        return await self.get("/scan", code=code, context=context)

    async def stock(self, sku: str | None = None, location: str | None = None) -> list[Any]:
        return await self.get("/stock/", sku=sku, location=location)

    async def putaway(self, sku: str) -> dict[str, Any]:
        return await self.get("/stock/putaway", sku=sku)

    async def order(self, order_id: int | str) -> dict[str, Any]:
        return await self.get(f"/orders/{order_id}")

    async def station(self, code: str) -> dict[str, Any]:
        return await self.get(f"/stations/{code}")

    async def print_job(self, job_id: int | str) -> dict[str, Any]:
        return await self.get(f"/print-jobs/{job_id}")

    # -- picking and packing calls whose answer the screen needs at once ---------
    async def next_batch(self) -> dict[str, Any]:
        return await self.post("/picking/next")

    async def batch(self, batch_id: int) -> dict[str, Any]:
        return await self.get(f"/picking/batches/{batch_id}")

    async def pack_start(self, station: str, scan: str) -> dict[str, Any]:
        return await self.post("/packing/start", {"station": station, "scan": scan})

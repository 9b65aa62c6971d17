"""The console's exception and security pages: each kind of trouble with its action."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from wms.db import reads
from wms.errors import WmsError
from wms.models.common import utcnow
from wms.reports import exceptions, floor
from wms.services import auth, packing, passwords, picking, short_lines, stock, supervision
from wms.services import orders as orders_service
from wms.web import render

_page, _db, _geometry = render.page, render.database, render.geometry


# -- throughput and exceptions ------------------------------------------------------------


@get("/throughput")
async def throughput(request: Request) -> Template:
    figures = await _db(request).run(floor.throughput, utcnow())
    top = max(figures["lines_by_hour"]) or 1
    return _page(request, "throughput.html", t=figures, top=top)


@get("/exceptions")
async def exception_list(request: Request) -> Template:
    return await _exceptions_page(request, "")


@post("/exceptions/prints/{job_id:int}/reprint")
async def reprint(request: Request, job_id: FromPath[int]) -> Template:
    """Print a failed label again (to its printer; the printer's fault must be cleared)."""
    parcel_id = await _db(request).run(_parcel_of_job, job_id)
    view, _new = await packing.reprint_label(_db(request), parcel_id)
    return await _exceptions_page(request, f"Label queued again (job {view['id']})")


@reads
def _parcel_of_job(s: Any, job_id: int) -> int:
    from wms.models.shipping import PrintJob

    job = s.get(PrintJob, job_id)
    if job is None or job.parcel_id is None:
        raise WmsError("unknown_job", "Unknown print job", f"no parcel's print job {job_id}")
    return int(job.parcel_id)


async def _exceptions_page(request: Request, message: str) -> Template:
    db = _db(request)
    found = await db.run(exceptions.everything, utcnow())
    printers = await supervision.known_printers(db)
    pickers = await supervision.pickers(db)
    counts = await stock.pending_counts(db)
    return _page(
        request, "exceptions.html", ex=found, message=message, printers=printers,
        pickers=pickers, counts=counts,
    )  # fmt: skip


@post("/exceptions/prints/{job_id:int}/elsewhere")
async def print_elsewhere(request: Request, job_id: FromPath[int]) -> Template:
    """Send a failed job to another printer (its own printer is broken)."""
    url = str((await request.form()).get("printer_url", ""))
    done = await supervision.print_elsewhere(_db(request), job_id, url)
    return await _exceptions_page(request, f"Job {job_id} sent to {url} (job {done['id']})")


@post("/exceptions/batches/{batch_id:int}/release")
async def release_batch(request: Request, batch_id: FromPath[int]) -> Template:
    await supervision.release_batch(_db(request), batch_id)
    return await _exceptions_page(request, f"Batch {batch_id} is back in the queue")


@post("/exceptions/batches/{batch_id:int}/reassign")
async def reassign_batch(request: Request, batch_id: FromPath[int]) -> Template:
    who = str((await request.form()).get("picker", ""))
    await supervision.reassign_batch(_db(request), batch_id, who)
    return await _exceptions_page(request, f"Batch {batch_id} given to {who}")


@post("/exceptions/orders/{order_id:int}/reserve")
async def reserve_again(request: Request, order_id: FromPath[int]) -> Template:
    done = await supervision.reserve_again(_db(request), order_id)
    return await _exceptions_page(
        request, f"Order {order_id}: {done['reserved']} units reserved, now {done['status']}"
    )


@post("/exceptions/orders/{order_id:int}/cancel")
async def cancel_order(request: Request, order_id: FromPath[int]) -> Template:
    """Cancel a backordered or held order: its reserved units are sellable again."""
    await orders_service.cancel(_db(request), order_id)
    return await _exceptions_page(request, f"Order {order_id} cancelled")


@post("/exceptions/shorts/{exception_id:int}/resolve")
async def resolve_short(request: Request, exception_id: FromPath[int]) -> Template:
    await picking.resolve_exception(_db(request), exception_id)
    return await _exceptions_page(request, f"Exception {exception_id} closed")


@post("/exceptions/shorts/{exception_id:int}/reallocate")
async def reallocate_short(request: Request, exception_id: FromPath[int]) -> Template:
    """Try again to hold the short line from stock elsewhere (new stops if still picking)."""
    user = request.scope["user"]
    done = await short_lines.reallocate(
        _db(request), await _geometry(request), exception_id, user.user_id, user.username
    )
    what = f"{done['reserved']} units reserved, {done['placed']} given new stops"
    what += f", {done['missing']} still missing" if done["missing"] else ", the line is whole"
    return await _exceptions_page(request, f"Order {done['order_id']}: {what}")


@post("/exceptions/shorts/{exception_id:int}/cancel-line")
async def cancel_short_line(request: Request, exception_id: FromPath[int]) -> Template:
    """Cancel the short line's missing units; the channel hears the new sellable quantity."""
    user = request.scope["user"]
    done = await short_lines.cancel_line(_db(request), exception_id, user.user_id, user.username)
    tail = ", order cancelled" if done["status"] == "cancelled" else ""
    return await _exceptions_page(
        request, f"Order {done['order_id']}: {done['cancelled']} units cancelled{tail}"
    )


@post("/exceptions/counts/{count_id:int}/approve")
async def approve_count(request: Request, count_id: FromPath[int]) -> Template:
    """A count's differences go to the ledger (the service moves the stock, not the page)."""
    return await _decide_count(request, count_id, approve=True)


@post("/exceptions/counts/{count_id:int}/reject")
async def reject_count(request: Request, count_id: FromPath[int]) -> Template:
    return await _decide_count(request, count_id, approve=False)


async def _decide_count(request: Request, count_id: int, *, approve: bool) -> Template:
    user = request.scope["user"]
    done = await stock.decide_count(
        _db(request), count_id, approve=approve, by_user_id=user.user_id, by_username=user.username
    )
    return await _exceptions_page(request, f"Count {count_id} {done['status']}")


# -- security -----------------------------------------------------------------------------


@get("/security")
async def security_page(request: Request) -> Template:
    return await _security_page(request, "")


@post("/security/badges/{badge:str}/unlock")
async def unlock_badge(request: Request, badge: FromPath[str]) -> Template:
    """Let a locked badge log in again; the service writes the audit line (who, when)."""
    done = await auth.unlock_badge(_db(request), badge, request.scope["user"])
    return await _security_page(
        request, f"Badge {badge} unlocked ({done['were']} failed logins cleared)"
    )


@post("/security/users/{username:str}/unlock")
async def unlock_user(request: Request, username: FromPath[str]) -> Template:
    """Let an office user locked out by wrong passwords sign in again (audited)."""
    done = await passwords.unlock_user(_db(request), username, request.scope["user"])
    return await _security_page(
        request, f"User {username} unlocked ({done['were']} failed logins cleared)"
    )


async def _security_page(request: Request, message: str) -> Template:
    db = _db(request)
    return _page(
        request, "security.html", message=message,
        locked=await auth.locked_badges(db),
        locked_users=await passwords.locked_users(db),
        failed=await auth.failed_logins(db, 50),
        unlocks=await auth.audit_lines(db, "badge_unlocked", 20),
    )  # fmt: skip




ROUTES = [
    throughput,
    exception_list,
    reprint,
    print_elsewhere,
    release_batch,
    reassign_batch,
    reserve_again,
    cancel_order,
    resolve_short,
    reallocate_short,
    cancel_short_line,
    approve_count,
    reject_count,
    security_page,
    unlock_badge,
    unlock_user,
]

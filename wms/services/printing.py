"""Print jobs: queued in the transaction that needs them, delivered via `printers/` by the outbox.

A job is a `print_job` row (the bytes, its status) plus an outbox row of kind ``print``
pointing at it, written together. The dispatcher asks the printer's status (~HS) before
sending: a faulty printer would keep the job and print it after the packer's reprint — a
double label. Faults go back to `queued` with the reason (the packer sees it) and are
retried on a short backoff (a new outbox row, capped at MAX_RETRY_S); after MAX_ATTEMPTS
the job is `failed`, never dropped silently.

A job that may or may not have printed is `unknown` ("check the printer"), never `done` nor
sent again: one found `printing` when a delivery starts (the server died mid-send), one
whose connection broke while or after its bytes went out, one the printer reported a fault
for right after (out of paper: it may be half out, or print when the roll is changed). Its
reprint is refused until someone at the printer confirms the label did not come out.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from printers import (
    BadPrinterUrl,
    PrinterError,
    PrinterFault,
    PrinterSilent,
    PrinterStatus,
    open_printer,
)
from wms.db import Database, reads
from wms.errors import NotFound
from wms.models.common import utcnow
from wms.models.shipping import Printer, PrintJob
from wms.services import outbox_rows
from wms.services.sql import dialect_name, upsert_on

MAX_ATTEMPTS = 40  # about 3 minutes of retries, then `failed` (the packer reprints)
MAX_RETRY_S = 5.0  # a packer is waiting: once the paper is in, the label must follow soon
SEND_TIMEOUT_S = 5.0
STATUS_TIMEOUT_S = 2.0

# What the packer reads on a 20-column screen, per printer status.
MESSAGES = {
    "ready": "",
    "paper_out": "Load labels",
    "head_open": "Close the head",
    "ribbon_out": "Load ribbon",
    "paused": "Press pause to resume",
    "buffer_full": "Printer busy, wait",
    "over_temperature": "Printer too hot, wait",
    "under_temperature": "Printer too cold",
    "corrupt_ram": "Restart the printer",
    "no_answer": "Check labels and head",
    "offline": "Check power and cable",
    "bad_url": "Printer set up wrong",
    "unknown": "",
}
UNKNOWN = "unknown"  # a job's status when nobody can tell whether it printed
CHECK_PRINTER = "check the printer: did the label come out?"

log = logging.getLogger(__name__)


_JOBS = PrintJob.__table__
_INSERT_JOB = insert(_JOBS).returning(_JOBS.c.id)


def enqueue(
    s: Session,
    *,
    printer_url: str,
    kind: str,
    payload: bytes,
    content_type: str,
    ref: str,
    station: str = "",
    parcel_id: int | None = None,
    reprint_of: int | None = None,
) -> int:
    """Queue one job inside the caller's transaction (it prints only if that commits).

    Core statements, not ORM objects: closing a parcel queues two jobs, and each ORM insert
    cost a flush of everything the packer's transaction had touched.
    """
    conn = s.connection()
    now = utcnow()
    job_id: int = conn.execute(
        _INSERT_JOB,
        {
            "printer_url": printer_url,
            "kind": kind,
            "content_type": content_type,
            "payload": payload,
            "status": "queued",
            "attempts": 0,
            "error": "",
            "ref": ref[:120],
            "station": station,
            "parcel_id": parcel_id,
            "reprint_of": reprint_of,
            "created_at": now,
        },
    ).scalar_one()
    outbox_rows.add(s, [print_row(job_id, now)])
    conn.execute(_printer_known(dialect_name(s)), {"url": printer_url})
    return job_id


@functools.cache
def _printer_known(dialect: str) -> Any:
    """A row for a printer not seen before (its status comes with the first delivery)."""
    return (
        upsert_on(dialect, Printer.__table__)
        .values(url=bindparam("url"), status="unknown", message="")
        .on_conflict_do_nothing(index_elements=["url"])
    )


def job_view(job: Any) -> dict[str, Any]:
    """A print job as the packer and supervisor see it (a PrintJob, or a row of its columns)."""
    return {
        "id": job.id,
        "status": job.status,
        "printer": job.printer_url,
        "error": job.error or None,
        "kind": job.kind,
        "ref": job.ref,
        "attempts": job.attempts,
        "reprint_of": job.reprint_of,
    }


@reads
def _job(s: Session, job_id: int) -> dict[str, Any]:
    job = s.get(PrintJob, job_id)
    if job is None:
        raise NotFound("unknown_print_job", "Unknown print job", f"no print job {job_id}")
    return job_view(job)


async def get_job(db: Database, job_id: int) -> dict[str, Any]:
    return await db.run(_job, job_id)


@reads
def _jobs(s: Session, status: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)
    if status:
        query = query.where(PrintJob.status == status)
    return [job_view(j) for j in s.execute(query).scalars()]


async def list_jobs(db: Database, status: str | None, limit: int) -> list[dict[str, Any]]:
    return await db.run(_jobs, status, limit)


@reads
def _printers_and_counts(s: Session) -> tuple[list[Printer], list[Any]]:
    printers = list(s.execute(select(Printer).order_by(Printer.url)).scalars())
    counts = s.execute(
        select(PrintJob.printer_url, PrintJob.status, func.count())
        .where(PrintJob.status.in_(("queued", "printing", "failed", UNKNOWN)))
        .group_by(PrintJob.printer_url, PrintJob.status)
    ).all()
    s.expunge_all()
    return printers, list(counts)


async def printers_overview(db: Database) -> list[dict[str, Any]]:
    """For the supervisor: every printer's last known status and its jobs waiting or failed."""
    printers, counts = await db.run(_printers_and_counts)
    jobs: dict[str, dict[str, int]] = {}
    for url, status, n in counts:
        jobs.setdefault(url, {})[status] = n
    return [
        {
            "url": p.url,
            "status": p.status,
            "message": message_for(p.status),
            "checked_at": p.checked_at.isoformat() if p.checked_at else None,
            "queued": jobs.get(p.url, {}).get("queued", 0) + jobs.get(p.url, {}).get("printing", 0),
            "failed": jobs.get(p.url, {}).get("failed", 0),
            "unknown": jobs.get(p.url, {}).get(UNKNOWN, 0),
        }
        for p in printers
    ]


# -- status ------------------------------------------------------------------------------


def status_of(exc: PrinterError | None, status: PrinterStatus | None = None) -> str:
    """One word for what the printer says (or what went wrong reaching it)."""
    if isinstance(exc, BadPrinterUrl):
        return "bad_url"
    if isinstance(exc, PrinterSilent):
        return "no_answer"
    if isinstance(exc, PrinterFault):
        status = exc.status or status
        reason = exc.reasons[0] if exc.reasons else "fault"
        return reason.replace(" ", "_").replace("corrupt_RAM", "corrupt_ram")
    if exc is not None:
        return "offline"
    if status is not None and status.faults:
        return status.faults[0].replace(" ", "_").replace("corrupt_RAM", "corrupt_ram")
    return "ready"


def message_for(status: str) -> str:
    return MESSAGES.get(status, "Check the printer")


_locks: dict[tuple[int, str], asyncio.Lock] = {}


def printer_lock(url: str) -> asyncio.Lock:
    """One conversation per printer at a time in this process (port 9100 takes one client)."""
    key = (id(asyncio.get_running_loop()), url)
    if key not in _locks:
        _locks[key] = asyncio.Lock()
    return _locks[key]


def _probe(url: str) -> str:
    try:
        with open_printer(url, timeout=SEND_TIMEOUT_S, status_timeout=STATUS_TIMEOUT_S) as p:
            if not p.can_report_status:
                return "unknown"
            return status_of(None, p.status())
    except PrinterError as exc:
        return status_of(exc)


async def printer_status(db: Database, url: str) -> dict[str, Any]:
    """Live ~HS answer when the printer is free; else what the dispatcher saw last."""
    lock = printer_lock(url)
    if not lock.locked():
        async with lock:
            status = await asyncio.to_thread(_probe, url)
        await _record_printer(db, url, status)
        return {"url": url, "status": status, "message": message_for(status)}
    status = await db.run(_last_status, url)
    return {"url": url, "status": status, "message": message_for(status)}


@reads
def _last_status(s: Session, url: str) -> str:
    row = s.execute(select(Printer.status).where(Printer.url == url)).scalar_one_or_none()
    return row or "unknown"


async def _record_printer(db: Database, url: str, status: str) -> None:
    await db.run(record_printer_seen, url, status)


def record_printer_seen(s: Session, url: str, status: str) -> None:
    params = {"url": url, "status": status, "message": message_for(status), "now": utcnow()}
    s.connection().execute(_printer_seen(dialect_name(s)), params)


@functools.cache
def _printer_seen(dialect: str) -> Any:
    """What a printer just said about itself (built once: every delivery records it)."""
    stmt = upsert_on(dialect, Printer.__table__).values(
        url=bindparam("url"),
        status=bindparam("status"),
        message=bindparam("message"),
        checked_at=bindparam("now"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["url"],
        set_={
            "status": stmt.excluded.status,
            "message": stmt.excluded.message,
            "checked_at": stmt.excluded.checked_at,
        },
    )


def print_row(job_id: int, due: datetime) -> dict[str, Any]:
    """The outbox row that has the dispatcher deliver a print job (now, or at `due`)."""
    return {
        "event_id": uuid.uuid4().hex,
        "kind": "print",
        "channel_id": None,
        "dedupe_key": f"print:{job_id}",
        "payload": {"job_id": job_id},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": due,
        "last_error": "",
        "created_at": utcnow(),
    }

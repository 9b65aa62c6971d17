"""The print dispatcher: the outbox's ``print`` rows, sent to the printers via `printers/`.

It asks the printer's status (~HS) before sending: a faulty printer would keep the job and
print it after the packer's reprint — a double label. Faults go back to `queued` with the
reason (the packer sees it) and are retried on a short backoff (a new outbox row, capped at
MAX_RETRY_S); after MAX_ATTEMPTS (both in `printing`) the job is `failed`, never dropped
silently. A job that may or may not have printed is `unknown` (see `printing`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from printers import BadPrinterUrl, PrinterError, open_printer
from wms.models.common import utcnow
from wms.models.shipping import PrintJob
from wms.services import events, outbox_rows, printing
from wms.services.outbox_handlers import handles
from wms.services.slips import draw_slip

if TYPE_CHECKING:
    from wms.services.outbox import OutboxWorker

log = logging.getLogger("wms.services.printing")


def _send(url: str, data: bytes) -> tuple[bool, str]:
    """Check, send, check again. Returns (surely printed, status after).

    Raises only before a byte of the job went out (the job may be sent again). Once the
    bytes are on their way, nothing is resent: a broken connection, a printer that no longer
    answers or that reports a fault after them leaves the label's fate unknown (False).
    """
    with open_printer(
        url, timeout=printing.SEND_TIMEOUT_S, status_timeout=printing.STATUS_TIMEOUT_S
    ) as printer:
        if printer.can_report_status:
            printer.check()  # raises on paper out, head open... before a byte of the job
        try:
            printer.send(data)
        except PrinterError as exc:
            return False, printing.status_of(exc)  # part of it may be in the printer
        if not printer.can_report_status:
            return True, "unknown"
        sent_on = printer.transport.connects
        try:
            after = printing.status_of(None, printer.status())
        except PrinterError as exc:
            return False, printing.status_of(exc)
        if printer.transport.connects != sent_on:
            # The job's connection broke after it; a fresh one's "ready" says nothing of it.
            return False, "no_answer"
        return after == "ready", after


@dataclass(frozen=True)
class _Job:
    url: str
    data: bytes
    attempts: int
    parcel_id: int | None
    drawn: bool  # a packing slip queued empty, to be drawn now


@handles("print")
async def deliver_print(worker: OutboxWorker, payload: dict[str, Any], event_id: str) -> None:
    """Outbox handler for ``print`` rows."""
    db = worker.db
    job_id = int(payload["job_id"])
    job = await db.run(_start_job, job_id)
    if job is None:
        return
    data, values = job.data, {}
    if job.drawn:
        # A packing slip is queued empty at the parcel's close and drawn here, off the
        # packer's wait; kept with the job once drawn (reprints send the same PDF).
        try:
            data = values["payload"] = await draw_slip(db, job.parcel_id)  # type: ignore[arg-type]
        except Exception as exc:  # a slip we cannot draw is a failed job, not a stuck one
            log.exception("packing slip for parcel %s not drawn", job.parcel_id)
            failed = {"status": "failed", "error": f"slip not drawn: {exc}"[:300]}
            await db.run(_finish_job, job_id, failed, job.attempts)
            return
    async with printing.printer_lock(job.url):
        try:
            printed, after = await asyncio.to_thread(_send, job.url, data)
            error = None
        except PrinterError as exc:
            printed, error, after = False, exc, printing.status_of(exc)
    if error is None and printed:
        values |= {"status": "done", "error": "", "printed_at": utcnow()}
    elif error is None:
        said = printing.message_for(after) or after.replace("_", " ")
        values |= {"status": printing.UNKNOWN, "error": f"{printing.CHECK_PRINTER} ({said})"[:300]}
    elif isinstance(error, BadPrinterUrl) or job.attempts >= printing.MAX_ATTEMPTS:
        values |= {
            "status": "failed",
            "error": f"{printing.message_for(after)} ({error.message})"[:300],
        }
    else:
        values |= {
            "status": "queued",
            "error": f"{printing.message_for(after)} ({error.message})"[:300],
        }
    await db.run(_finish_job, job_id, values, job.attempts, (job.url, after))


def _start_job(s: Session, job_id: int) -> _Job | None:
    """Mark the job printing; None when it must not be sent (again)."""
    job = s.get(PrintJob, job_id)
    if job is None or job.status in ("done", "failed", printing.UNKNOWN):
        return None  # delivered before (an outbox redelivery): never print twice
    if job.status == "printing":
        # The server stopped while sending it: it may have printed. Someone must look.
        job.status, job.error = (
            printing.UNKNOWN,
            f"{printing.CHECK_PRINTER} (interrupted while sending)",
        )
        return None
    job.status, job.attempts = "printing", job.attempts + 1
    drawn = not job.payload and job.kind == "document" and job.parcel_id is not None
    return _Job(job.printer_url, job.payload, job.attempts, job.parcel_id, drawn)


def _finish_job(
    s: Session,
    job_id: int,
    values: dict[str, Any],
    attempts: int,
    printer: tuple[str, str] | None = None,
) -> None:
    """The job's outcome and the printer's status, in one transaction."""
    if printer is not None:
        printing.record_printer_seen(s, *printer)
    s.execute(update(PrintJob).where(PrintJob.id == job_id).values(**values))
    events.note(s, "print", job=job_id, status=values["status"])
    if values["status"] == "queued":
        # Retried by a new outbox row on our own short backoff, written with the job's
        # state; the outbox's channel backoff (up to minutes) is too slow for a bench.
        due = utcnow() + timedelta(seconds=retry_delay(attempts))
        outbox_rows.add(s, [printing.print_row(job_id, due)])


def retry_delay(attempts: int) -> float:
    return min(printing.MAX_RETRY_S, 0.25 * 2 ** max(0, attempts - 1))

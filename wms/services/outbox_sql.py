"""The outbox worker's transactions: is anything due, claim a pass, settle it, free leases.

Plain synchronous functions for ``db.run``, each marked with its kind. Rows are claimed by
flipping `pending` to `sending` with a lease (next_attempt_at in the future) marked with
the worker's owner id; on PostgreSQL the claim uses FOR UPDATE SKIP LOCKED, so any number
of workers may run.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, exists, select, text, update
from sqlalchemy.orm import Session, aliased

from wms.db import long_running, reads
from wms.models import Outbox
from wms.models.common import UtcDateTime, utcnow
from wms.services.outbox_lease import LOCK_CLASS

LEASE = timedelta(seconds=60)
ROW_BATCH = 64  # rows of kinds delivered one by one, per pass
MAX_BACKOFF_S = 300.0


def backoff_s(attempts: int) -> float:
    return min(MAX_BACKOFF_S, 0.5 * 2 ** max(0, attempts - 1))


# Built once and run in one thread hop: an idle worker asks this four times a second, and
# the async session's round trips made each ask cost about 5 ms of CPU.
_DUE = (
    select(Outbox.id)
    .where(Outbox.status.in_(("pending", "sending")), Outbox.next_attempt_at <= bindparam("now"))
    .limit(1)
)


@reads
def anything_due(s: Session) -> bool:
    return s.connection().execute(_DUE, {"now": utcnow()}).first() is not None


_BUSY = aliased(Outbox)
_BEFORE = aliased(Outbox)
# Built once: the worker claims after every pass. A row waits while another row of its key
# is out on a lease (absolute quantities must arrive in order).
_CLAIM = (
    select(Outbox)
    .where(
        Outbox.next_attempt_at <= bindparam("now"),
        Outbox.status.in_(("pending", "sending")),
        ~exists().where(
            _BUSY.dedupe_key == Outbox.dedupe_key,
            _BUSY.status == "sending",
            _BUSY.next_attempt_at > bindparam("now"),
            _BUSY.id != Outbox.id,
        ),
        # A row that follows another waits, unclaimed and unfailed, until that one is told.
        ~exists().where(
            _BEFORE.event_id == Outbox.after_event,
            _BEFORE.status.in_(("pending", "sending")),
        ),
    )
    .order_by(Outbox.id)
    .limit(bindparam("batch"))
)
# PostgreSQL: several workers, each takes rows nobody else holds.
_CLAIM_LOCKED = _CLAIM.with_for_update(skip_locked=True, of=Outbox)


@long_running
def claim(
    s: Session,
    batch: int,
    skip_locked: bool,
    bulk_kinds: frozenset[str] = frozenset(),
    row_batch: int = ROW_BATCH,
    owner: int = 0,
) -> list[Outbox]:
    if batch <= 0:
        return []
    query = _CLAIM_LOCKED if skip_locked else _CLAIM
    now = utcnow()
    # One row per key per pass, oldest first: absolute quantities must arrive in order.
    # Kinds delivered row by row take at most `row_batch` places: a pass waits for all its
    # calls, and many slow single calls would hold a pass's stock pushes back.
    claimed: list[Outbox] = []
    seen: set[str] = set()
    singles = 0
    for row in s.execute(query, {"now": now, "batch": batch}).scalars():
        if row.dedupe_key in seen:
            continue
        seen.add(row.dedupe_key)
        if row.kind not in bulk_kinds:
            if singles >= row_batch:
                continue
            singles += 1
        claimed.append(row)
    if claimed:
        s.execute(
            update(Outbox)
            .where(Outbox.id.in_([row.id for row in claimed]))
            .values(status="sending", next_attempt_at=now + LEASE, lease_owner=owner)
        )
    s.expunge_all()
    return claimed


# Built once: a running worker asks every ORPHAN_CHECK_S.
_LEASED = (
    select(Outbox.lease_owner)
    .where(
        Outbox.status == "sending",
        Outbox.next_attempt_at > bindparam("now"),
        Outbox.lease_owner != bindparam("me"),
    )
    .distinct()
)


@reads
def lease_owners(s: Session, me: int) -> set[int]:
    """Owners, other than us, of leases still running."""
    return set(s.connection().execute(_LEASED, {"now": utcnow(), "me": me}).scalars())


@long_running
def release_leases(s: Session, owners: set[int]) -> int:
    now = utcnow()
    result = s.execute(
        update(Outbox)
        .where(
            Outbox.status == "sending",
            Outbox.next_attempt_at > now,
            Outbox.lease_owner.in_(sorted(owners)),
        )
        .values(next_attempt_at=now)
    )
    return result.rowcount


@long_running
def release_dead_on_postgres(s: Session, owners: set[int]) -> int:
    """Release the leases of owners whose advisory lock is free: their session is gone.

    The transaction-scoped try-lock is let go at our commit, so a worker starting with a
    recycled id could not be mistaken for dead for longer than this transaction.
    """
    conn = s.connection()
    dead = {
        owner
        for owner in sorted(owners)
        if conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:c, :o)"), {"c": LOCK_CLASS, "o": owner}
        ).scalar()
    }
    return release_leases(s, dead) if dead else 0


@long_running
def settle(s: Session, results: list[tuple[Outbox, str]]) -> None:
    now = utcnow()
    sent = [row.id for row, error in results if not error]
    if sent:
        s.execute(
            update(Outbox)
            .where(Outbox.id.in_(sent))
            .values(status="sent", sent_at=now, attempts=Outbox.attempts + 1)
        )
    failed = [(row, error) for row, error in results if error]
    if not failed:
        return
    # A newer pending row for the same key carries the newer state: a failed stock push is
    # moot (absolute quantities); other kinds keep the lease shape and retry after it.
    newer = set(
        s.execute(
            select(Outbox.dedupe_key).where(
                Outbox.dedupe_key.in_({row.dedupe_key for row, _ in failed}),
                Outbox.status == "pending",
                Outbox.id.not_in([row.id for row, _ in failed]),
            )
        ).scalars()
    )
    s.execute(
        update(Outbox.__table__)
        .where(Outbox.__table__.c.id == bindparam("row_id"))
        .values(
            status=bindparam("new_status"),
            attempts=bindparam("new_attempts"),
            last_error=bindparam("error"),
            next_attempt_at=bindparam("retry_at", type_=UtcDateTime()),
        ),
        [
            {
                "row_id": row.id,
                "new_status": _failed_status(row, row.dedupe_key in newer),
                "new_attempts": row.attempts + 1,
                "error": error[:500],
                "retry_at": now + timedelta(seconds=backoff_s(row.attempts + 1)),
            }
            for row, error in failed
        ],
    )


def _failed_status(row: Outbox, has_newer: bool) -> str:
    if not has_newer:
        return "pending"
    return "superseded" if row.kind == "stock_push" else "sending"

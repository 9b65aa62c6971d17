"""The outbox worker's transactions: is anything due, claim a pass, settle it, free leases.

Plain synchronous functions for ``db.run``, each marked with its kind. Rows are claimed by
flipping `pending` to `sending` with a lease (next_attempt_at in the future) marked with
the worker's owner id; on PostgreSQL the claim uses FOR UPDATE SKIP LOCKED, so any number
of workers may run.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import zip_longest

from sqlalchemy import bindparam, exists, literal_column, select, text, update
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
# Statuses as literals, not parameters: the planner can then read the partial indexes
# (outbox_live, outbox_sending_key) for them, which it cannot prove from a bound value.
_LIVE = (literal_column("'pending'"), literal_column("'sending'"))
_SENDING = literal_column("'sending'")
# One kind's oldest claimable rows, on outbox_live (kind, id): a lane walks its own kind's
# rows still to deliver and stops at the limit. Claiming from all kinds at once sorted the
# whole due backlog and looked up every lease for each row: 84 ms a claim, holding SQLite's
# writer, behind 40,000 tracking changes (and a stock push behind them waited its turn).
_LANE = (
    select(Outbox.id, Outbox.dedupe_key)
    .where(
        Outbox.kind == bindparam("kind"),
        Outbox.status.in_(_LIVE),
        Outbox.next_attempt_at <= bindparam("now"),
        # A row waits while another row of its key is out on a lease (absolute quantities
        # must arrive in order).
        ~exists().where(
            _BUSY.dedupe_key == Outbox.dedupe_key,
            _BUSY.status == _SENDING,
            _BUSY.next_attempt_at > bindparam("now"),
            _BUSY.id != Outbox.id,
        ),
        # A row that follows another waits, unclaimed and unfailed, until that one is told.
        ~exists().where(
            _BEFORE.event_id == Outbox.after_event,
            _BEFORE.status.in_(_LIVE),
        ),
    )
    .order_by(Outbox.id)
    .limit(bindparam("limit"))
)
# PostgreSQL: several workers, each takes rows nobody else holds.
_LANE_LOCKED = _LANE.with_for_update(skip_locked=True, of=Outbox)
# The kinds with rows still to deliver, a seek on outbox_live per kind (a loose index scan).
# SQLite's planner reads the status on outbox_due instead and sorts every row still to
# deliver for each kind (20-30 ms behind 40,000): there it is told which index to use.
_LIVE_KINDS = (
    "WITH RECURSIVE live(kind) AS ("
    " SELECT min(kind) FROM outbox {hint} WHERE status IN ('pending', 'sending')"
    " UNION ALL SELECT (SELECT min(kind) FROM outbox {hint}"
    " WHERE status IN ('pending', 'sending') AND kind > live.kind)"
    " FROM live WHERE live.kind IS NOT NULL)"
    " SELECT kind FROM live WHERE kind IS NOT NULL"
)
_LIVE_KINDS_SQLITE = text(_LIVE_KINDS.format(hint="INDEXED BY outbox_live"))
_LIVE_KINDS_POSTGRES = text(_LIVE_KINDS.format(hint=""))


@long_running
def claim(
    s: Session,
    batch: int,
    skip_locked: bool,
    bulk_kinds: frozenset[str] = frozenset(),
    row_batch: int = ROW_BATCH,
    owner: int = 0,
) -> list[Outbox]:
    """A pass's rows: up to ``batch`` of the bulk kinds, oldest first, and up to
    ``row_batch`` of the others, taken in turn from each kind's oldest.

    In turn, so a backlog of one kind (a poll's tens of thousands of tracking changes) never
    holds back another's (a packer's label, an order to fetch). One row per key per pass.
    """
    if batch <= 0:
        return []
    conn = s.connection()
    now = utcnow()
    lane = _LANE_LOCKED if skip_locked else _LANE
    bulk: list[tuple[int, str]] = []
    singles: list[list[tuple[int, str]]] = []
    sqlite = conn.dialect.name == "sqlite"
    for kind in conn.execute(_LIVE_KINDS_SQLITE if sqlite else _LIVE_KINDS_POSTGRES).scalars():
        limit = batch if kind in bulk_kinds else row_batch
        found = conn.execute(lane, {"kind": kind, "now": now, "limit": limit})
        rows = [(r.id, r.dedupe_key) for r in found]
        if kind in bulk_kinds:
            bulk += rows
        else:
            singles.append(rows)
    seen: set[str] = set()

    def first_of_key(rows: list[tuple[int, str]]) -> list[int]:
        kept = []
        for row_id, key in rows:
            if key not in seen:
                seen.add(key)
                kept.append(row_id)
        return kept

    ids = first_of_key(sorted(bulk))[:batch]
    lanes = [first_of_key(rows) for rows in singles]
    ids += [i for turn in zip_longest(*lanes) for i in turn if i is not None][:row_batch]
    if not ids:
        return []
    claimed = list(s.scalars(select(Outbox).where(Outbox.id.in_(ids)).order_by(Outbox.id)))
    s.execute(
        update(Outbox)
        .where(Outbox.id.in_(ids))
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

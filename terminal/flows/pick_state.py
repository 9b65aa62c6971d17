"""The pick flow's words: its steps, the events it takes, the commands it returns, its state."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from terminal import scans
from terminal.flows.base import Key, Leave, NoteOnline, Refusal, Say, Scan, ShowProblem, Submit

Json = dict[str, Any]
TODO = ("open", "skipped")


class Step(enum.StrEnum):
    """Where the picker is; the value is what tests and the journal's batch copy read."""

    IDLE = "idle"  # no batch yet (getting one, or none to be had)
    FETCH = "fetch"  # fetch the order's tote from an earlier batch onto this slot
    BIND = "bind"  # scan a new tote for a cart slot
    LOCATION = "location"
    ITEM = "item"
    LOT = "lot"  # which lot, when the location holds several and the scan named none
    QTY = "qty"
    TOTE = "tote"
    SHORT_QTY = "short_qty"
    SHORT_ITEM = "short_item"
    SHORT_TOTE = "short_tote"
    DROP = "drop"
    DONE = "done"
    HANDOVER = "handover"  # scan the badge of the picker who takes the cart over


# Steps with no half-scanned stop on screen: a server's view of the batch may replace ours.
BOUNDARY = (Step.BIND, Step.LOCATION, Step.DROP, Step.DONE, Step.IDLE)
BACK = {
    Step.ITEM: Step.LOCATION,
    Step.LOT: Step.ITEM,
    Step.QTY: Step.ITEM,
    Step.TOTE: Step.ITEM,
    Step.SHORT_QTY: Step.LOCATION,
    Step.SHORT_ITEM: Step.LOCATION,
    Step.SHORT_TOTE: Step.LOCATION,
}


# -- events the pick flow takes besides Scan and Key -------------------------------------
@dataclass(frozen=True)
class Opened:
    """The screen opened; the batch kept in the journal (None when there is none)."""

    cached: Json | None


@dataclass(frozen=True)
class Fetched:
    """The server gave the next batch."""

    batch: Json


@dataclass(frozen=True)
class FetchFailed:
    """No batch: the server refused (a Refusal) or could not be reached (None)."""

    refusal: Refusal | None


@dataclass(frozen=True)
class Resynced:
    """The server's copy of the batch, asked for after a step was refused."""

    batch: Json


@dataclass(frozen=True)
class Flushed:
    """Journaled steps reached the server; `busy` while other steps are still on the way."""

    answers: list[Any]
    rejected: bool
    busy: bool


Event = Scan | Key | Opened | Fetched | FetchFailed | Resynced | Flushed


# -- commands the pick flow returns besides the shared ones --------------------------------
@dataclass(frozen=True)
class FetchNext:
    """Ask the server for the next batch (answered by Fetched or FetchFailed)."""


@dataclass(frozen=True)
class Resync:
    """Ask the server for this batch as it stands (answered by Resynced; failures ignored)."""

    batch_id: int


@dataclass(frozen=True)
class SaveBatch:
    """Keep the batch with local progress in the journal: a restart offline resumes it."""

    batch: Json


@dataclass(frozen=True)
class ForgetBatch:
    """The batch is over for this terminal: nothing to resume."""


Command = (
    Submit | ShowProblem | Say | NoteOnline | Leave | FetchNext | Resync | SaveBatch | ForgetBatch
)


@dataclass
class Pick:
    """The whole state of the pick screen; `slot` and `stop` point into `batch`."""

    batch: Json | None = None
    step: Step = Step.IDLE
    slot: Json | None = None
    stop: Json | None = None
    location_scan: str = ""
    item_scan: str = ""
    count: int = 0
    found: int = 0
    item_units: int = 0  # units the kept item scan stands for (1, or a pack's size)
    lot: str = ""  # the lot the picker chose when the scan carried none
    here: str = ""  # the location just picked at (and how it was scanned): no rescan
    here_scan: str = ""
    stale: bool = False  # a step was refused: take the server's batch when all is sent
    resume_step: Step = Step.LOCATION
    # The commands of the event being handled: filled by `advance`, handed out and emptied.
    out: list[Command] = field(default_factory=list, repr=False, compare=False)

    # -- questions about the batch (no change) --------------------------------------------
    def todo(self) -> list[Json]:
        assert self.batch is not None
        return [s for s in self.batch["stops"] if s["status"] in TODO]

    def remaining(self) -> int:
        assert self.stop is not None
        return int(self.stop["qty"]) - int(self.stop.get("picked") or 0)

    def lots_here(self) -> list[str]:
        """The lots the stop's location holds (soonest expiry first), as the server listed."""
        assert self.stop is not None
        lots = [str(x["lot"]) for x in self.stop.get("lots") or [] if x.get("lot")]
        return lots or ([str(self.stop["lot"])] if self.stop.get("lot") else [])

    def slot_of(self, stop: Json) -> int | None:
        """The cart slot a stop goes into; in a bulk batch every stop goes into slot 1."""
        assert self.batch is not None
        if stop.get("slot") is None and self.batch.get("kind") == "bulk":
            return 1
        return stop.get("slot")

    def tote_of(self, stop: Json) -> str | None:
        assert self.batch is not None
        for slot in self.batch["slots"]:
            if slot["slot"] == self.slot_of(stop):
                return slot.get("tote")
        return None

    def needs_lot(self, code: str) -> bool:
        """A lot-tracked stop whose location holds several lots, scanned without its lot."""
        assert self.stop is not None
        if not self.stop.get("lot") or scans.item_key(code)[1]:
            return False
        return set(self.lots_here()) != {str(self.stop["lot"])}

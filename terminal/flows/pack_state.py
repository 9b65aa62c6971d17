"""The pack flow's words: its steps, the events it takes, the commands it returns, its state."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from terminal.flows.base import Key, Leave, NoteOnline, Refusal, Say, Scan, ShowProblem, Submit

Json = dict[str, Any]


class Step(enum.StrEnum):
    START = "start"  # scan a tote or an order
    TOTES = "totes"  # the order is in several totes: scan each one at the bench
    VERIFY = "verify"
    CARTON = "carton"
    WEIGHT = "weight"
    PRINTING = "printing"  # closing the parcel, or waiting for its label
    PACKED = "packed"
    LABEL_OUT = "label_out"  # did the label come out? asked before a reprint
    SHIP = "ship"  # scan-and-ship: one item, one parcel, the label at once
    SHIP_PACKED = "ship_packed"


class Call(enum.Enum):
    """The server calls whose failure the flow decides about."""

    START = "start"
    CLOSE = "close"
    REPRINT = "reprint"
    SHIP = "ship"


# -- events the pack flow takes besides Scan and Key -------------------------------------------
@dataclass(frozen=True)
class Started:
    """The server's pack view for `code`, and the station (its scale, its label printer)."""

    code: str
    view: Json
    station: Json


@dataclass(frozen=True)
class Weighed:
    """The scale's reading in grams; None when it could not be read."""

    grams: int | None


@dataclass(frozen=True)
class Closed:
    """The parcel is closed: the server's `{"parcel", "view"}`."""

    answer: Json


@dataclass(frozen=True)
class Reprinted:
    """A reprint was queued: the server's `{"job"}`."""

    answer: Json


@dataclass(frozen=True)
class Shipped:
    """Scan-and-ship made a parcel: the server's `{"parcel", "reference"}`."""

    answer: Json


@dataclass(frozen=True)
class LabelSeen:
    """The label job as last seen (printed, failed, unknown, or still on its way)."""

    job: Json


@dataclass(frozen=True)
class PrinterSeen:
    """The station's label printer (`{}` when the server could not say)."""

    printer: Json


@dataclass(frozen=True)
class Failed:
    """A call failed: the server refused (a Refusal) or could not be reached (None)."""

    call: Call
    refusal: Refusal | None


Event = (
    Scan | Key | Started | Weighed | Closed | Reprinted | Shipped | LabelSeen | PrinterSeen | Failed
)


# -- commands the pack flow returns besides the shared ones -------------------------------------
@dataclass(frozen=True)
class StartOrder:
    """Open the order of a tote or order scan (answered by Started or Failed START)."""

    code: str


@dataclass(frozen=True)
class ReadScale:
    """Read the terminal's scale (answered by Weighed)."""


@dataclass(frozen=True)
class CloseParcel:
    """Close the parcel, with the key kept for it (answered by Closed or Failed CLOSE)."""

    order_id: int
    body: Json
    key: str


@dataclass(frozen=True)
class FollowLabel:
    """Watch the label job until it ends or the wait is over (answered by LabelSeen)."""

    job_id: Any


@dataclass(frozen=True)
class AskPrinter:
    """How is the station's label printer? (answered by PrinterSeen)."""


@dataclass(frozen=True)
class Reprint:
    """Print the parcel's label again (answered by Reprinted or Failed REPRINT)."""

    parcel_id: int
    label_missing: bool = False


@dataclass(frozen=True)
class ShipItem:
    """Scan-and-ship one item (answered by Shipped or Failed SHIP)."""

    scan: str
    key: str


Command = (
    Submit
    | ShowProblem
    | Say
    | NoteOnline
    | Leave
    | StartOrder
    | ReadScale
    | CloseParcel
    | FollowLabel
    | AskPrinter
    | Reprint
    | ShipItem
)


def new_key() -> str:
    return uuid.uuid4().hex


@dataclass
class Pack:
    """The whole state of the pack screen at one station."""

    station: str = ""
    scale: bool = False  # a scale is wired to this terminal: read it when weighing
    view: Json | None = None
    step: Step = Step.START
    carton: str = ""
    weight: int | None = None
    close_key: str = ""
    parcel: Json | None = None
    station_scale: bool = False
    ship_retry: tuple[str, str] = ("", "")
    start_scan: str = ""
    back_to: Step = Step.PACKED  # where the "Label out?" question returns to
    shipped: str = ""  # the order the last scan-and-ship sent
    shipping: bool = False  # the label being followed is a scan-and-ship's
    job: Json = field(default_factory=dict)  # the label job as last seen
    out: list[Command] = field(default_factory=list, repr=False, compare=False)
    keys: Callable[[], str] = field(default=new_key, repr=False, compare=False)

    def lines_left(self) -> list[Json]:
        assert self.view is not None
        return [line for line in self.view["lines"] if line["verified"] < line["picked"]]

"""Packing at a station as a state machine: tote or order, every tote at the bench, verify the
items, carton, weight, close; follow the label; scan-and-ship; a reprint that asks first.

Verifications are journaled like picks (`Submit`). Closing a parcel needs the server's answer
(tracking number, label job), so it is a command of its own carrying one Idempotency-Key kept
for the parcel: a retry after a lost answer cannot create a second parcel. `advance(state,
event)` returns the next state and the commands to run; `show(state)` says what is shown.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from terminal import scans
from terminal.flows.base import (
    Key,
    Leave,
    NoteOnline,
    Refusal,
    Say,
    Scan,
    Show,
    ShowProblem,
    Submit,
    refused,
)
from terminal.flows.pack_state import (
    AskPrinter,
    Call,
    Closed,
    CloseParcel,
    Command,
    Event,
    Failed,
    FollowLabel,
    Json,
    LabelSeen,
    Pack,
    PrinterSeen,
    ReadScale,
    Reprint,
    Reprinted,
    ShipItem,
    Shipped,
    Started,
    StartOrder,
    Step,
    Weighed,
    new_key,
)
from terminal.text import is_qty, short

__all__ = [
    "AskPrinter",
    "Call",
    "CloseParcel",
    "Closed",
    "Command",
    "Event",
    "Failed",
    "FollowLabel",
    "Json",
    "LabelSeen",
    "Pack",
    "PrinterSeen",
    "ReadScale",
    "Reprint",
    "Reprinted",
    "ShipItem",
    "Shipped",
    "StartOrder",
    "Started",
    "Step",
    "Weighed",
    "advance",
    "new_key",
    "show",
]


def totes_of(view: Json) -> list[tuple[str, bool, str]]:
    """(tote, scanned at this bench?, where it is) for every tote the order is in.

    The server's Pack view lists `totes` as `{"tote","location","on_cart","scanned"}` and the
    ones still to come in `totes_missing`; [] from a server without `totes`.
    """
    missing = {str(x).upper() for x in view.get("totes_missing") or []}
    found: list[tuple[str, bool, str]] = []
    for item in view.get("totes") or []:
        code = str(item.get("tote") or "").upper()
        if not code:
            continue
        where = "on a cart" if item.get("on_cart") else str(item.get("location") or "")
        found.append((code, bool(item.get("scanned")) and code not in missing, where))
    return found


def advance(state: Pack, event: Event) -> tuple[Pack, list[Command]]:
    """The state after `event`, and the commands to run for it, in order."""
    p = copy.deepcopy(state)
    p.out = []
    if isinstance(event, Scan):
        _scan(p, event.code)
    elif isinstance(event, Key):
        KEYS[event.name](p)
    elif isinstance(event, Started):
        _started(p, event)
    elif isinstance(event, Weighed):
        p.weight = event.grams
    elif isinstance(event, Closed):
        p.parcel, p.view = (
            copy.deepcopy(event.answer["parcel"]),
            copy.deepcopy(event.answer["view"]),
        )
        _follow(p, p.parcel.get("label_job"))
    elif isinstance(event, Reprinted):
        p.step = Step.PRINTING
        p.out.append(FollowLabel(event.answer["job"].get("id")))
    elif isinstance(event, Shipped):
        p.ship_retry = ("", "")
        p.parcel, p.shipped = copy.deepcopy(event.answer["parcel"]), str(event.answer["reference"])
        p.step, p.shipping = Step.PRINTING, True
        _follow(p, p.parcel.get("label_job"))
    elif isinstance(event, LabelSeen):
        _label_seen(p, event.job)
    elif isinstance(event, PrinterSeen):
        _printer_seen(p, event.printer)
    elif isinstance(event, Failed):
        FAILURES[event.call](p, event.refusal)
    out, p.out = p.out, []
    return p, out


def _scan(p: Pack, code: str) -> None:
    if p.step == Step.START and code:
        p.out.append(StartOrder(code))
    elif p.step == Step.TOTES:
        _scan_tote(p, code)
    elif p.step in (Step.SHIP, Step.SHIP_PACKED) and code:
        # The same item scanned again after a lost answer reuses its key: one parcel only.
        if p.ship_retry[0] != code:
            p.ship_retry = (code, p.keys())
        p.out.append(ShipItem(code, p.ship_retry[1]))
    elif p.step == Step.VERIFY and code:
        _verify(p, code)
    elif p.step == Step.CARTON:
        _choose_carton(p, code)
    elif p.step == Step.WEIGHT:
        _take_weight(p, code)
    elif p.step == Step.LABEL_OUT:
        _label_out(p, code)
    elif p.step == Step.PACKED:
        if p.view is not None and p.view.get("status") != "done" and p.lines_left():
            p.step = Step.VERIFY  # the next parcel of the same order
        else:
            p.view, p.parcel, p.step, p.start_scan = None, None, Step.START, ""


# -- order -------------------------------------------------------------------------------------
def _started(p: Pack, event: Started) -> None:
    p.view = copy.deepcopy(event.view)
    p.station_scale = bool(event.station.get("scale"))
    p.start_scan = p.start_scan if p.step == Step.TOTES else event.code
    p.carton = p.view.get("suggested_carton") or ""
    _after_totes(p)
    printer = event.station.get("label_printer") or {}
    if printer.get("status") not in (None, "ready"):
        # Said before the packing, not after the parcel is closed: fix it while verifying.
        p.out.append(
            ShowProblem(
                f"Printer {printer['status']}",
                str(printer.get("message") or ""),
                "Labels wait until it is fixed",
            )
        )


def _after_totes(p: Pack) -> None:
    """Packing starts once every tote the order is in has been scanned at the bench."""
    assert p.view is not None
    totes = totes_of(p.view)
    if len(totes) > 1 and any(not scanned for _, scanned, _ in totes):
        p.step = Step.TOTES
    else:
        p.step = Step.VERIFY if p.lines_left() else Step.CARTON


def _scan_tote(p: Pack, code: str) -> None:
    assert p.view is not None
    if not code:
        p.out.append(StartOrder(p.start_scan))  # Enter: ask the server again (a tote came?)
        return
    totes = {tote: scanned for tote, scanned, _ in totes_of(p.view)}
    if code.upper() not in totes:
        todo = [tote for tote, scanned in totes.items() if not scanned]
        p.out.append(ShowProblem("Not this order's", " ".join(todo), f"Scanned: {code}"))
    elif totes[code.upper()]:
        _after_totes(p)  # scanned already
    else:
        # The server marks the tote scanned at this bench (start with another tote adds it).
        p.out.append(StartOrder(code))


def _verify(p: Pack, code: str) -> None:
    assert p.view is not None
    line = next((x for x in p.lines_left() if scans.is_item(code, x)), None)
    if line is None:
        known = next((x for x in p.view["lines"] if scans.is_item(code, x)), None)
        expected = p.lines_left()[0]
        p.out.append(
            ShowProblem(
                "Too many" if known else "Not in this order",
                str(expected.get("name") or expected["sku"]),
                f"Scanned: {known['name'] if known else code}",
            )
        )
        return
    units = scans.pack_qty(code, line)
    left = int(line["picked"]) - int(line["verified"])
    if units > left:
        p.out.append(ShowProblem("Pack too big", f"{left} left", f"pack of {units}: scan units"))
        return
    line["verified"] += units
    path = f"/packing/orders/{p.view['order_id']}/verify"
    p.out.append(Submit(path, {"scan": code}, f"Pack {line['sku']}"))
    if not p.lines_left():
        p.step = Step.CARTON
        p.carton = p.view.get("suggested_carton") or p.view["cartons"][0]


def _choose_carton(p: Pack, code: str) -> None:
    assert p.view is not None
    cartons: list[str] = p.view["cartons"]
    # A number or a code chooses that carton for real: the weight is asked next.
    if is_qty(code) and 1 <= int(code) <= len(cartons):
        p.carton = cartons[int(code) - 1]
    elif code.upper() in cartons:
        p.carton = code.upper()
    elif code:
        p.out.append(ShowProblem("Unknown carton", " ".join(cartons)))
        return
    p.step, p.weight, p.close_key = Step.WEIGHT, None, p.keys()
    if p.scale:
        p.out.append(ReadScale())


def _take_weight(p: Pack, code: str) -> None:
    assert p.view is not None
    if code:
        if not is_qty(code) or int(code) < 1:
            p.out.append(ShowProblem("Type grams", "e.g. 812"))
            return
        p.weight = int(code)
    elif p.weight is None and not p.station_scale:
        p.out.append(ShowProblem("Type grams", "e.g. 812"))
        return
    p.step = Step.PRINTING
    body = {"carton": p.carton, "weight_g": p.weight}
    p.out.append(CloseParcel(int(p.view["order_id"]), body, p.close_key))


# -- labels ------------------------------------------------------------------------------------
def _follow(p: Pack, job_ref: Any) -> None:
    # The server gives the job as an object ({"id", "status", …}); an id alone also works.
    p.out.append(FollowLabel(job_ref.get("id") if isinstance(job_ref, dict) else job_ref))


def _label_seen(p: Pack, job: Json) -> None:
    p.step, p.job = Step.PACKED, copy.deepcopy(job)
    if job["status"] == "unknown":
        # It may have printed: look before reprinting, so a label never comes out twice.
        info = "Did the label come out?\nF7 asks before a reprint"
        p.out.append(ShowProblem("Check printer", "", info))
    if job["status"] in ("done", "unknown"):
        _label_end(p)
    else:
        p.out.append(AskPrinter())


def _printer_seen(p: Pack, printer: Json) -> None:
    job, status = p.job, str(printer.get("status") or "")
    if job["status"] != "failed" and not job.get("error") and status in ("", "ready"):
        _label_end(p)  # only slow: the label is still on its way
        return
    # A faulty printer keeps the job queued and retries it; a failed one needs a reprint.
    fault = status if status not in ("", "ready") else str(job["status"])
    todo = str(printer.get("message") or job.get("error") or "Check the printer")
    then = "then F7 to reprint" if job["status"] == "failed" else "it prints when fixed"
    p.out.append(ShowProblem(f"Printer {fault}", todo, then))
    _label_end(p)


def _label_end(p: Pack) -> None:
    if p.shipping:
        p.step, p.shipping = Step.SHIP_PACKED, False


def _label_out(p: Pack, code: str) -> None:
    """The packer looked at the printer: 1 the label is out (nothing printed, nothing
    marked), 2 it is not (the server marks the first job failed and prints once more)."""
    assert p.parcel is not None
    if code == "1":
        p.step = p.back_to
        p.out.append(Say("Label is out", "PUT LABEL ON", str(p.parcel.get("tracking") or "")))
    elif code == "2":
        p.step = p.back_to
        p.out.append(Reprint(int(p.parcel["id"]), label_missing=True))
    else:
        p.out.append(ShowProblem("Type 1 or 2", "1 yes / 2 no", "Label out?"))


# -- failures ----------------------------------------------------------------------------------
def _start_failed(p: Pack, refusal: Refusal | None) -> None:
    if refusal is None:
        p.out += [
            NoteOnline(False),
            ShowProblem("Server unreachable", "", "Packing needs the server"),
        ]
    else:
        p.out.append(refused(refusal))


def _close_failed(p: Pack, refusal: Refusal | None) -> None:
    p.step = Step.WEIGHT  # same key on retry: at most one parcel
    if refusal is None:
        p.out += [NoteOnline(False), ShowProblem("Server unreachable", "", "Enter to try again")]
    else:
        p.out.append(refused(refusal))


def _reprint_failed(p: Pack, refusal: Refusal | None) -> None:
    if refusal is None:
        p.out.append(ShowProblem("Server unreachable"))
    elif refusal.code == "label_may_have_printed":
        p.back_to, p.step = p.step, Step.LABEL_OUT  # ask the packer first
    else:
        p.out.append(ShowProblem(refusal.title))


def _ship_failed(p: Pack, refusal: Refusal | None) -> None:
    if refusal is None:
        p.out += [
            NoteOnline(False),
            ShowProblem("Server unreachable", "", "Scan again when online"),
        ]
    else:
        p.ship_retry = ("", "")
        p.out.append(refused(refusal))


FAILURES: dict[Call, Callable[[Pack, Refusal | None], None]] = {
    Call.START: _start_failed,
    Call.CLOSE: _close_failed,
    Call.REPRINT: _reprint_failed,
    Call.SHIP: _ship_failed,
}


# -- keys --------------------------------------------------------------------------------------
def _key_ship_mode(p: Pack) -> None:
    if p.step in (Step.START, Step.SHIP, Step.PACKED, Step.SHIP_PACKED):
        p.step = Step.SHIP if p.step in (Step.START, Step.PACKED) else Step.START


def _key_reprint(p: Pack) -> None:
    if p.parcel is not None:
        p.out.append(Reprint(int(p.parcel["id"])))


def _key_back(p: Pack) -> None:
    if p.step == Step.WEIGHT:
        p.step = Step.CARTON  # choose another carton
    elif p.step == Step.CARTON:
        p.step = Step.VERIFY if p.view and p.lines_left() else Step.CARTON
    else:
        p.out.append(Leave())


KEYS: dict[str, Callable[[Pack], None]] = {
    "ship_mode": _key_ship_mode,
    "reprint": _key_reprint,
    "back": _key_back,
}


# -- what the screen shows -------------------------------------------------------------------
def show(p: Pack, wide: bool = False) -> Show | None:
    """The step's text (`wide`: a desk's screen, 80 columns or more); None leaves it as is."""
    if p.step == Step.START:
        return Show(f"Pack at {p.station}", "SCAN TOTE/ORDER", "", "F6: scan and ship")
    if p.step == Step.SHIP:
        return Show("Scan and ship", "SCAN ITEM", "", "label prints at once")
    if p.step == Step.SHIP_PACKED:
        assert p.parcel is not None
        number = str(p.parcel.get("number") or "")
        return Show(f"{p.shipped} shipped", "PUT LABEL ON", number, str(p.parcel["tracking"]))
    if p.step == Step.TOTES:
        assert p.view is not None
        totes = totes_of(p.view)
        todo = [code for code, scanned, _ in totes if not scanned]
        # Every tote, and where each one still to come waits: the packer fetches them all.
        listed = "\n".join(
            f"{code} {'ok' if scanned else where or 'scan'}" for code, scanned, where in totes
        )
        return Show(
            f"{p.view['reference']} in {len(totes)} totes",
            f"SCAN TOTE {todo[0]}" if todo else "ALL TOTES HERE",
            str(len(todo)),
            listed + "\nEnter: ask again",
        )
    if p.step == Step.VERIFY:
        assert p.view is not None
        left = p.lines_left()
        todo = sum(line["picked"] - line["verified"] for line in left)
        name = str(left[0]["name"])
        return Show(
            f"{p.view['reference']} items",
            name if wide else short(name),
            str(todo),
            f"{left[0]['sku']} scan each",
        )
    if p.step == Step.CARTON:
        assert p.view is not None
        choices = " ".join(f"{i}:{c}" for i, c in enumerate(p.view["cartons"], 1))
        return Show("Carton (Enter=OK)", p.carton, "", "number or code" if wide else choices)
    if p.step == Step.WEIGHT:
        typed = not p.station_scale and p.weight is None
        return Show(
            f"Weight {p.carton}",
            "TYPE GRAMS" if typed else f"{p.weight or 0} g",
            str(p.weight or ""),
            "Enter to close" if not typed else "then Enter",
        )
    if p.step == Step.LABEL_OUT:
        return Show("Check printer", "LABEL OUT?", "", "1 yes / 2 no")
    if p.step == Step.PRINTING:
        return Show("Closing parcel", "PRINTING…", "", "")
    assert p.step == Step.PACKED and p.parcel is not None
    return Show(
        "Label printed",
        "PUT LABEL ON",
        str(p.parcel.get("number") or ""),
        f"{p.parcel['tracking']}\nEnter: next  F7 reprint",
    )

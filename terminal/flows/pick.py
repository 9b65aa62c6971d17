"""Picking a cart batch as a state machine: bind totes, stop by stop (location, item, lot,
quantity, tote), short or skip a stop, hand the cart over, drop it.

Every scan is checked against the batch fetched at the start, so a good scan advances at
once and a wrong one is caught even offline; each finished stop becomes one `Submit`
(journaled `confirm`, `short` or `skip`). `advance(state, event)` returns the next state and
the commands to run; `show(state)` says what the screen shows. No Textual, no I/O here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

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
    wrong,
)
from terminal.flows.pick_state import (
    BACK,
    BOUNDARY,
    TODO,
    Command,
    Event,
    Fetched,
    FetchFailed,
    FetchNext,
    Flushed,
    ForgetBatch,
    Json,
    Opened,
    Pick,
    Resync,
    Resynced,
    SaveBatch,
    Step,
)
from terminal.text import is_qty, short

__all__ = [
    "BACK",
    "BOUNDARY",
    "Command",
    "Event",
    "FetchFailed",
    "FetchNext",
    "Fetched",
    "Flushed",
    "ForgetBatch",
    "Json",
    "Opened",
    "Pick",
    "Resync",
    "Resynced",
    "SaveBatch",
    "Step",
    "TODO",
    "advance",
    "show",
]


def advance(state: Pick, event: Event) -> tuple[Pick, list[Command]]:
    """The state after `event`, and the commands to run for it, in order."""
    pick = copy.deepcopy(state)  # one copy: `slot` and `stop` still point into its batch
    pick.out = []
    if isinstance(event, Scan):
        SCANS[pick.step](pick, event.code)
    elif isinstance(event, Key):
        KEYS[event.name](pick)
    elif isinstance(event, Opened):
        if event.cached and event.cached.get("status") != "done":
            _begin(pick, copy.deepcopy(event.cached))
        else:
            _fetch(pick)
    elif isinstance(event, Fetched):
        pick.out.append(NoteOnline(True))
        _begin(pick, copy.deepcopy(event.batch))
    elif isinstance(event, FetchFailed):
        _fetch_failed(pick, event.refusal)
    elif isinstance(event, Resynced):
        if pick.batch is not None and pick.batch.get("id") == event.batch.get("id"):
            _begin(pick, copy.deepcopy(event.batch))  # not after a hand-over or another batch
    elif isinstance(event, Flushed):
        _flushed(pick, event)
    out, pick.out = pick.out, []
    return pick, out


# -- getting a batch ------------------------------------------------------------------------
def _fetch(p: Pick) -> None:
    p.out += [Say("Pick", "GETTING WORK", "", digits=""), FetchNext()]


def _fetch_failed(p: Pick, refusal: Refusal | None) -> None:
    if refusal is None:
        info = "No batch: try again when online (Enter)"
        p.out += [NoteOnline(False), Say("Pick", "OFFLINE", info, digits="")]
    else:
        p.out.append(Say("Pick", refusal.title.upper(), "Enter: ask again  F4: menu", digits=""))


def _keep_fetched(p: Pick, batch: Json) -> Json:
    """A tote fetched onto the cart stays fetched when the server's view is taken: the
    server says `fetch_from` until the first unit goes into it."""
    old = p.batch if p.batch and p.batch.get("id") == batch.get("id") else None
    if old is not None:
        fetched = {s["slot"]: s.get("tote") for s in old["slots"] if not s.get("fetch_from")}
        for slot in batch["slots"]:
            if slot.get("tote") and fetched.get(slot["slot"]) == slot["tote"]:
                slot["fetch_from"] = None
    return batch


def _begin(p: Pick, batch: Json) -> None:
    p.batch = _keep_fetched(p, batch)
    if batch.get("status") == "paused":
        batch["status"] = "picking"
        p.out.append(Submit(f"/picking/batches/{batch['id']}/resume", {}, "Resume"))
    _save(p)
    _next(p)


def _save(p: Pick) -> None:
    assert p.batch is not None
    p.out.append(SaveBatch(copy.deepcopy(p.batch)))


def _next(p: Pick) -> None:
    """What comes next: a tote to fetch or bind, the next stop, the drop, or done."""
    assert p.batch is not None
    p.location_scan = p.item_scan = p.lot = ""
    p.count = p.found = p.item_units = 0
    p.slot = p.stop = None
    if p.batch.get("status") == "done":
        p.step = Step.DONE
        return
    used = {p.slot_of(s) for s in p.batch["stops"]} - {None}
    for slot in p.batch["slots"]:
        if slot.get("tote") and slot.get("fetch_from") and slot["slot"] in used:
            # One order, one tote: the order's tote from an earlier batch waits at a drop.
            p.step, p.slot = Step.FETCH, slot
            return
        if slot.get("tote") is None and slot["slot"] in used:
            p.step, p.slot = Step.BIND, slot
            return
    todo = p.todo()
    if todo and p.here and todo[0]["location"] == p.here:
        # The picker is standing there: the next stop at the same place starts at the item.
        p.step, p.stop, p.location_scan = Step.ITEM, todo[0], p.here_scan
    elif todo:
        p.step, p.stop = Step.LOCATION, todo[0]
    else:
        p.step = Step.DROP


# -- scans ------------------------------------------------------------------------------------
def _scan_idle(p: Pick, code: str) -> None:
    _fetch(p)


def _scan_done(p: Pick, code: str) -> None:
    p.out.append(ForgetBatch())
    p.batch, p.step = None, Step.IDLE
    _fetch(p)


def _scan_fetch(p: Pick, code: str) -> None:
    """The order's own tote, fetched onto the cart; Enter takes a new tote instead."""
    assert p.batch is not None and p.slot is not None
    if not code:
        p.step = Step.BIND  # the server keeps the first tote the order's; the packer is told
        return
    if code.upper() != str(p.slot["tote"]).upper():
        p.out.append(
            ShowProblem("Not order's tote", str(p.slot["tote"]), f"at {p.slot['fetch_from']}")
        )
        return
    p.slot["fetch_from"] = None  # on the cart: the server needs no call, it is bound
    _save(p)
    _next(p)


def _scan_bind(p: Pick, code: str) -> None:
    assert p.batch is not None and p.slot is not None
    if not code:
        return
    taken = [
        s
        for s in p.batch["slots"]
        if s is not p.slot and (s.get("tote") or "").upper() == code.upper()
    ]
    if taken:
        p.out.append(ShowProblem("Tote in use", "", f"already on slot {taken[0]['slot']}"))
        return
    p.slot["tote"], p.slot["fetch_from"] = code, None
    for stop in p.batch["stops"]:
        if p.slot_of(stop) == p.slot["slot"]:
            stop["tote"] = code
    body = {"slot": p.slot["slot"], "tote": code}
    label = f"Tote {code} slot {body['slot']}"
    p.out.append(Submit(f"/picking/batches/{p.batch['id']}/totes", body, label))
    _save(p)
    _next(p)


def _scan_location(p: Pick, code: str) -> None:
    assert p.stop is not None
    if problem := scans.check_location(code, p.stop):
        p.out.append(wrong(problem))
        return
    p.location_scan = code
    p.step = Step.ITEM


def _check_item(p: Pick, code: str) -> scans.Problem | None:
    assert p.stop is not None and p.batch is not None
    return scans.check_item(code, p.stop, p.batch["stops"])


def _take_units(p: Pick, code: str) -> scans.Problem | None:
    """Count the units one item scan stands for; a pack bigger than what is left is refused."""
    assert p.stop is not None
    units = scans.pack_qty(code, p.stop)
    left = p.remaining() - p.count
    if units > left:
        if units > 1:
            return scans.Problem(
                "pack_too_big", "Pack too big", f"{left} left", f"pack of {units}: take units"
            )
        return scans.Problem("too_many", "Too many", str(p.remaining()))
    # The confirm carries one scan for all units: the smallest one, so a server that
    # counts packs reads the typed total as units.
    if not p.item_scan or units < p.item_units:
        p.item_scan, p.item_units = code, units
    p.count += units
    return None


def _scan_item(p: Pick, code: str) -> None:
    assert p.stop is not None
    if problem := _check_item(p, code):
        p.out.append(wrong(problem))
        return
    p.item_scan, p.count, p.item_units = "", 0, 0
    if problem := _take_units(p, code):
        p.out.append(wrong(problem))
        return
    if p.needs_lot(code):
        p.step = Step.LOT  # asked now, with the item in hand, not after the tote
        return
    _after_item(p)


def _after_item(p: Pick) -> None:
    if p.count < p.remaining():
        p.step = Step.QTY
    else:
        _to_tote(p)


def _to_tote(p: Pick) -> None:
    """All units in hand: into the stop's tote, or confirmed at once when it has none."""
    assert p.stop is not None
    if p.slot_of(p.stop) is not None:
        p.step = Step.TOTE
    else:
        _confirm(p, None)


def _scan_lot(p: Pick, code: str) -> None:
    assert p.stop is not None
    if not code:
        return
    lot = scans.choose_lot(code, p.lots_here())
    if scans.parse_gs1(code) and (problem := _check_item(p, code)):
        p.out.append(wrong(problem))
        return
    if (lot or "").upper() != str(p.stop["lot"]).upper():
        expected = str(p.stop["lot"])
        p.out.append(wrong(scans.Problem("wrong_lot", "Wrong lot", expected, f"Chosen: {lot}")))
        return
    p.lot = str(p.stop["lot"])
    if p.found:  # a short pick's units: the short goes on
        _after_short_item(p)
    else:
        _after_item(p)


def _scan_qty(p: Pick, code: str) -> None:
    assert p.stop is not None
    if code and not is_qty(code):  # another scan of the item counts its units more
        if problem := _check_item(p, code) or _take_units(p, code):
            p.out.append(wrong(problem))
            return
        if p.count < p.remaining():
            return
    elif code:
        qty, problem = scans.check_qty(code, p.remaining())
        if problem:
            p.out.append(wrong(problem))
            return
        assert qty is not None
        p.count = qty
    else:
        p.count = p.remaining()
    _to_tote(p)


def _scan_tote(p: Pick, code: str) -> None:
    assert p.stop is not None
    if problem := scans.check_tote(code, p.tote_of(p.stop)):
        p.out.append(wrong(problem))
        return
    _confirm(p, code)


def _confirm(p: Pick, tote_scan: str | None) -> None:
    assert p.stop is not None and p.batch is not None
    stop, qty = p.stop, p.count
    body: Json = {"location": p.location_scan, "item": p.item_scan, "qty": qty, "tote": tote_scan}
    if p.lot:
        body["lot"] = p.lot
    p.here, p.here_scan = str(stop["location"]), p.location_scan
    # Local progress first, so the next stop shows without waiting for the network.
    stop["picked"] = int(stop.get("picked") or 0) + qty
    if stop["picked"] >= stop["qty"]:
        stop["status"] = "done"
    p.batch["status"] = "picking"
    label = f"Pick {qty} {stop['sku']}"
    p.out.append(Submit(f"/picking/tasks/{stop['task_id']}/confirm", body, label))
    _save(p)
    _next(p)


# -- short pick --------------------------------------------------------------------------------
def _scan_short_qty(p: Pick, code: str) -> None:
    assert p.stop is not None
    if not code and 0 < p.count < p.remaining():
        code = str(p.count)  # Enter alone: what is in hand is all there was
    if not code.isdigit() or int(code) >= p.remaining():
        expected = f"0-{p.remaining() - 1}"
        p.out.append(wrong(scans.Problem("bad_qty", "Less than asked", expected)))
        return
    p.found = int(code)
    if p.found and not p.item_scan:
        p.step = Step.SHORT_ITEM
    elif p.found and p.needs_lot(p.item_scan) and not p.lot:
        p.step = Step.LOT
    elif p.found and p.slot_of(p.stop) is not None:
        p.step = Step.SHORT_TOTE
    else:
        _send_short(p, None)


def _scan_short_item(p: Pick, code: str) -> None:
    assert p.stop is not None
    if problem := _check_item(p, code):
        p.out.append(wrong(problem))
        return
    p.item_scan = code
    if p.needs_lot(code) and not p.lot:
        p.step = Step.LOT  # the units found are of one lot: which, before the tote
        return
    _after_short_item(p)


def _after_short_item(p: Pick) -> None:
    assert p.stop is not None
    if p.slot_of(p.stop) is not None:
        p.step = Step.SHORT_TOTE
    else:
        _send_short(p, None)


def _scan_short_tote(p: Pick, code: str) -> None:
    assert p.stop is not None
    if problem := scans.check_tote(code, p.tote_of(p.stop)):
        p.out.append(wrong(problem))
        return
    _send_short(p, code)


def _send_short(p: Pick, tote_scan: str | None) -> None:
    assert p.stop is not None
    stop = p.stop
    item = p.item_scan or None
    if item and p.lot:
        item = scans.with_lot(item, p.lot)  # the short call has no `lot` of its own
    body: Json = {"found": p.found, "item": item, "tote": tote_scan if p.found else None}
    stop["picked"] = int(stop.get("picked") or 0) + p.found
    stop["status"] = "short"
    if p.location_scan:
        p.here, p.here_scan = str(stop["location"]), p.location_scan
    p.out.append(Submit(f"/picking/tasks/{stop['task_id']}/short", body, f"Short {stop['sku']}"))
    _save(p)
    _next(p)


# -- hand over, drop ---------------------------------------------------------------------------
def _scan_handover(p: Pick, code: str) -> None:
    """End of shift: the cart goes to the picker whose badge is scanned (paused for them)."""
    assert p.batch is not None
    if not code:
        return
    path = f"/picking/batches/{p.batch['id']}/handover"
    p.out += [Submit(path, {"badge": code}, f"Hand over {code}"), ForgetBatch(), Leave()]
    p.batch = None


def _scan_drop(p: Pick, code: str) -> None:
    assert p.batch is not None
    drop = {"location": p.batch["drop_location"], "check_code": p.batch.get("drop_check_code")}
    if problem := scans.check_location(code, drop):
        p.out.append(wrong(problem))
        return
    p.batch["status"] = "done"
    path = f"/picking/batches/{p.batch['id']}/finish"
    p.out.append(Submit(path, {"drop": code}, "Finish batch"))
    _save(p)
    _next(p)


SCANS: dict[Step, Callable[[Pick, str], None]] = {
    Step.IDLE: _scan_idle,
    Step.FETCH: _scan_fetch,
    Step.BIND: _scan_bind,
    Step.LOCATION: _scan_location,
    Step.ITEM: _scan_item,
    Step.LOT: _scan_lot,
    Step.QTY: _scan_qty,
    Step.TOTE: _scan_tote,
    Step.SHORT_QTY: _scan_short_qty,
    Step.SHORT_ITEM: _scan_short_item,
    Step.SHORT_TOTE: _scan_short_tote,
    Step.DROP: _scan_drop,
    Step.DONE: _scan_done,
    Step.HANDOVER: _scan_handover,
}


# -- keys ------------------------------------------------------------------------------------
def _key_short(p: Pick) -> None:
    if p.stop is not None and p.step in (Step.LOCATION, Step.ITEM, Step.LOT, Step.QTY, Step.TOTE):
        p.step = Step.SHORT_QTY


def _key_skip(p: Pick) -> None:
    if p.stop is None or p.batch is None or p.step not in (Step.LOCATION, Step.ITEM):
        return
    stop = p.stop
    p.here = ""
    p.batch["stops"].remove(stop)
    p.batch["stops"].append(stop)  # as the server does: the stop goes to the end
    stop["status"] = "skipped"
    p.out.append(Submit(f"/picking/tasks/{stop['task_id']}/skip", {}, "Skip"))
    _save(p)
    _next(p)


def _key_pause(p: Pick) -> None:
    if p.batch is None or p.step in (Step.DONE, Step.IDLE):
        return
    p.here = ""
    p.batch["status"] = "paused"
    p.out.append(Submit(f"/picking/batches/{p.batch['id']}/pause", {}, "Pause"))
    _save(p)
    p.out.append(Leave())


def _key_handover(p: Pick) -> None:
    if p.batch is not None and p.step in (Step.BIND, Step.LOCATION, Step.DROP):
        p.resume_step, p.step = p.step, Step.HANDOVER


def _key_back(p: Pick) -> None:
    if p.step == Step.HANDOVER:
        p.step = p.resume_step
    elif p.step in BACK:
        p.step = BACK[p.step]
        if p.step == Step.LOCATION:
            p.location_scan = p.here = ""
        p.item_scan = "" if p.step in (Step.LOCATION, Step.ITEM) else p.item_scan
        p.count, p.lot = 0, ""
    else:
        p.out.append(Leave())


KEYS: dict[str, Callable[[Pick], None]] = {
    "short": _key_short,
    "skip": _key_skip,
    "pause": _key_pause,
    "handover": _key_handover,
    "back": _key_back,
}


# -- answers from the server -------------------------------------------------------------------
def _flushed(p: Pick, event: Flushed) -> None:
    p.stale = p.stale or event.rejected
    if p.batch is None or event.busy:
        return  # local progress is ahead of any answer still in flight
    if p.stale:
        p.stale = False
        p.out.append(Resync(int(p.batch["id"])))
        return
    views = [
        a
        for a in event.answers
        if isinstance(a, dict) and a.get("id") == p.batch["id"] and "stops" in a
    ]
    if views and p.step in BOUNDARY:
        p.batch = _keep_fetched(p, copy.deepcopy(views[-1]))
        _save(p)
        _next(p)


# -- what the screen shows -------------------------------------------------------------------
def show(p: Pick) -> Show | None:
    """The step's text; None leaves the screen as it is (no batch: the last message stays)."""
    if p.batch is None:
        return None
    stop, step = p.stop, p.step
    if step in (Step.BIND, Step.FETCH):
        assert p.slot is not None
        head = f"Slot {p.slot['slot']} {p.slot.get('order_ref') or ''}"
        if step == Step.BIND:
            return Show(head, "SCAN TOTE", str(p.slot["slot"]), "for this cart slot")
        info = f"Fetch {p.slot['tote']} at {p.slot['fetch_from']}\nscan it · Enter: new tote"
        return Show(head, f"FETCH {p.slot['tote']}", str(p.slot["slot"]), info)
    if step == Step.HANDOVER:
        return Show("Hand over cart", "SCAN NEW BADGE", "", "F4: cancel")
    if step == Step.DROP:
        code = str(p.batch.get("drop_check_code") or "")
        return Show(
            "All picked", f"DROP {p.batch['drop_location']}", code, "Scan drop or check code"
        )
    if step == Step.DONE:
        return Show("Batch done", "DONE", "", "Enter: next batch")
    if stop is None:
        return None
    done = sum(1 for s in p.batch["stops"] if s["status"] not in TODO)
    where = f"Stop {done + 1}/{len(p.batch['stops'])}"
    slot = str(p.slot_of(stop) or "")
    if step == Step.LOCATION:
        check = stop.get("check_code") or ""
        return Show(f"{where} Go to", stop["location"], check, "Scan loc or check code")
    if step == Step.ITEM:
        lot = f"\nLot {stop['lot']}" if stop.get("lot") else ""
        name = short(stop["name"] or stop["sku"])
        return Show(f"{where} Pick", name, str(p.remaining()), f"{stop['sku']} scan item{lot}")
    if step == Step.LOT:
        expiry = {str(x.get("lot")): x.get("expiry") or "" for x in stop.get("lots") or []}
        choices = "\n".join(
            f"{i} {lot} {expiry.get(lot, '')}".rstrip() for i, lot in enumerate(p.lots_here(), 1)
        )
        return Show(f"Take lot {stop['lot']}", "SCAN LOT OR NO.", "", choices)
    if step == Step.QTY:
        left = str(p.remaining() - p.count)
        return Show(
            f"Qty {p.count}/{p.remaining()}", "SCAN OR TYPE QTY", left, "left · Enter = all"
        )
    if step == Step.TOTE:
        return Show(f"Put {p.count} in", f"TOTE {p.tote_of(stop) or '?'}", slot, "Scan the tote")
    if step == Step.SHORT_QTY:
        held = f"{p.count} in hand, " if p.count else ""
        left = str(p.remaining() - p.count)
        return Show(
            f"Short {p.count}/{p.remaining()}", "FOUND HOW MANY?", left, f"left · {held}type found"
        )
    if step == Step.SHORT_ITEM:
        return Show("Short pick", "SCAN ITEM", str(p.found), short(stop["name"]))
    if step == Step.SHORT_TOTE:
        return Show("Short pick", f"TOTE {p.tote_of(stop)}", slot, "Scan the tote")
    return None

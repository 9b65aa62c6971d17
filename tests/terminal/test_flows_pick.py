"""The pick flow as a state machine, without Textual: every step, every bad scan, every key."""

from __future__ import annotations

import copy
from typing import Any

from terminal.flows.base import Key, Leave, NoteOnline, Refusal, Say, Scan, ShowProblem, Submit
from terminal.flows.pick import (
    Fetched,
    FetchFailed,
    FetchNext,
    Flushed,
    ForgetBatch,
    Opened,
    Pick,
    Resync,
    Resynced,
    SaveBatch,
    Step,
    advance,
    show,
)
from tests.terminal.fake_floor import bulk_batch, cart_batch

GTIN_MUG = "02000000000031"  # the blue mug's barcode 2000000000031 as a GTIN-14


def feed(state: Pick, *events: Any) -> tuple[Pick, list[Any]]:
    """Every event in turn; the commands of all of them, in order."""
    commands: list[Any] = []
    for event in events:
        state, out = advance(state, event)
        commands += out
    return state, commands


def sent(commands: list[Any]) -> list[str]:
    return [c.path for c in commands if isinstance(c, Submit)]


def problems(commands: list[Any]) -> list[str]:
    return [c.title for c in commands if isinstance(c, ShowProblem)]


def taken(batch: dict[str, Any] | None = None) -> Pick:
    state, _ = advance(Pick(), Fetched(batch or cart_batch()))
    return state


def at_first_stop(batch: dict[str, Any] | None = None) -> Pick:
    state, _ = feed(taken(batch), Scan("T1"), Scan("T2"))
    assert state.step == Step.LOCATION
    return state


def refused_alone(state: Pick, code: str, title: str) -> None:
    """The scan is refused with `title`: nothing sent, nothing kept, the step stays."""
    after, commands = advance(state, Scan(code))
    assert problems(commands) == [title], commands
    assert sent(commands) == [] and not any(isinstance(c, SaveBatch) for c in commands)
    assert after.step == state.step and after.count == state.count


# -- getting a batch -------------------------------------------------------------------------
def test_opening_with_no_kept_batch_asks_the_server_for_the_next_one() -> None:
    state, commands = advance(Pick(), Opened(None))
    assert state.step == Step.IDLE and show(state) is None
    assert commands == [Say("Pick", "GETTING WORK", "", digits=""), FetchNext()]


def test_a_kept_batch_is_resumed_on_opening_and_a_finished_one_is_not() -> None:
    state, commands = advance(Pick(), Opened(cart_batch()))
    assert state.step == Step.BIND and isinstance(commands[-1], SaveBatch)
    done = dict(cart_batch(), status="done")
    state, commands = advance(Pick(), Opened(done))
    assert state.batch is None and FetchNext() in commands


def test_a_fetched_batch_that_was_paused_is_resumed_on_the_server() -> None:
    state, commands = advance(Pick(), Fetched(dict(cart_batch(), status="paused")))
    assert commands[0] == NoteOnline(True)
    assert sent(commands) == ["/picking/batches/12/resume"]
    assert state.batch is not None and state.batch["status"] == "picking"


def test_no_batch_offline_or_refused_is_said_and_enter_asks_again() -> None:
    state, commands = advance(Pick(), FetchFailed(None))
    assert commands[0] == NoteOnline(False) and commands[1].banner == "OFFLINE"
    state, commands = advance(state, FetchFailed(Refusal("no_work", "No work")))
    assert commands == [Say("Pick", "NO WORK", "Enter: ask again  F4: menu", digits="")]
    state, commands = advance(state, Scan(""))
    assert FetchNext() in commands and state.step == Step.IDLE


def test_the_given_state_is_never_changed() -> None:
    state = taken()
    before = copy.deepcopy(state)
    feed(state, Scan("T1"), Scan("T2"), Scan("47"), Scan("2000000000031"), Key("short"))
    assert state == before


# -- totes -----------------------------------------------------------------------------------
def test_binding_totes_journals_each_one_and_then_shows_the_first_stop() -> None:
    state = taken()
    shown = show(state)
    assert shown is not None and shown.banner == "SCAN TOTE" and shown.digits == "1"
    state, commands = advance(state, Scan("T1"))
    assert commands[0] == Submit(
        "/picking/batches/12/totes", {"slot": 1, "tote": "T1"}, "Tote T1 slot 1"
    )
    assert state.step == Step.BIND and state.slot is not None and state.slot["slot"] == 2
    state, _ = advance(state, Scan("T2"))
    assert state.step == Step.LOCATION and state.stop is not None and state.stop["task_id"] == 301
    shown = show(state)
    assert shown is not None and shown.banner == "A01-03-1" and shown.step == "Stop 1/3 Go to"


def test_a_tote_on_another_slot_is_refused_and_enter_alone_binds_nothing() -> None:
    state, _ = advance(taken(), Scan("T1"))
    refused_alone(state, "t1", "Tote in use")
    after, commands = advance(state, Scan(""))
    assert commands == [] and after.step == Step.BIND


def test_the_order_s_tote_is_fetched_without_a_call_or_replaced_by_enter() -> None:
    batch = cart_batch()
    batch["slots"][0].update(tote="T0042", fetch_from="STAGE-01")
    state = taken(batch)
    assert state.step == Step.FETCH
    shown = show(state)
    assert shown is not None and shown.banner == "FETCH T0042"
    refused_alone(state, "T0041", "Not order's tote")
    fetched, commands = advance(state, Scan("t0042"))
    assert sent(commands) == [] and fetched.step == Step.BIND
    assert fetched.slot is not None and fetched.slot["slot"] == 2
    instead, commands = advance(state, Scan(""))
    assert commands == [] and instead.step == Step.BIND
    assert instead.slot is not None and instead.slot["slot"] == 1


def test_a_fetched_tote_stays_fetched_when_the_server_s_view_still_says_fetch_from() -> None:
    batch = cart_batch()
    batch["slots"][0].update(tote="T0042", fetch_from="STAGE-01")
    state, _ = feed(taken(batch), Scan("T0042"), Scan("T2"))
    view = copy.deepcopy(batch)
    view["slots"][1]["tote"] = "T2"
    state, _ = advance(state, Flushed([view], rejected=False, busy=False))
    assert state.step == Step.LOCATION and state.tote_of(state.stop or {}) == "T0042"


def test_a_bulk_batch_binds_one_tote_and_every_stop_goes_into_it() -> None:
    state, _ = feed(taken(bulk_batch()), Scan("T9"), Scan("12"), Scan("4006381333931"))
    assert state.step == Step.QTY and state.tote_of(state.stop or {}) == "T9"
    state, commands = feed(state, Scan("4"), Scan("T9"))
    assert sent(commands) == ["/picking/tasks/302/confirm"] and state.step == Step.DROP


# -- a stop ----------------------------------------------------------------------------------
def test_a_stop_is_located_by_check_code_counted_by_scans_and_put_in_its_tote() -> None:
    state, _ = advance(at_first_stop(), Scan("47"))
    assert state.step == Step.ITEM and state.location_scan == "47"
    state, _ = advance(state, Scan("2000000000031"))
    assert state.step == Step.QTY and state.count == 1
    shown = show(state)
    assert shown is not None and shown.step == "Qty 1/3" and shown.digits == "2"
    state, _ = advance(state, Scan("2000000000031"))
    assert state.count == 2
    state, _ = advance(state, Scan(""))  # Enter: all that is asked
    assert state.step == Step.TOTE and state.count == 3
    shown = show(state)
    assert shown is not None and shown.banner == "TOTE T1"
    state, commands = advance(state, Scan("T1"))
    body = {"location": "47", "item": "2000000000031", "qty": 3, "tote": "T1"}
    assert commands[0] == Submit("/picking/tasks/301/confirm", body, "Pick 3 SKU-0003")
    assert isinstance(commands[1], SaveBatch) and commands[1].batch["stops"][0]["status"] == "done"
    assert state.step == Step.LOCATION and state.stop is not None and state.stop["task_id"] == 302


def test_a_typed_quantity_takes_that_many_and_a_single_unit_goes_straight_to_the_tote() -> None:
    state, _ = feed(at_first_stop(), Scan("A01-03-1"), Scan("2000000000031"), Scan("3"))
    assert state.step == Step.TOTE and state.count == 3
    state, _ = feed(state, Scan("T1"), Scan("A02-01-2"), Scan("4006381333931"))
    assert state.step == Step.TOTE and state.count == 1


def test_wrong_location_item_quantity_and_tote_are_refused_and_nothing_is_sent() -> None:
    state = at_first_stop()
    refused_alone(state, "A09-09-9", "Wrong location")
    state, _ = advance(state, Scan("A01-03-1"))
    after, commands = advance(state, Scan("4006381333931"))
    wrong = next(c for c in commands if isinstance(c, ShowProblem))
    assert (wrong.title, wrong.expected) == ("Wrong item", "Blue mug")
    assert wrong.detail == "Scanned: Tea towel (SKU-0007)"
    state, _ = advance(state, Scan("2000000000031"))
    refused_alone(state, "4", "Too many")
    refused_alone(state, "0", "F2 for short pick")
    refused_alone(state, "4006381333931", "Wrong item")
    state, _ = advance(state, Scan("2"))
    refused_alone(state, "T2", "Wrong tote")


def test_a_pack_barcode_counts_its_units_and_one_bigger_than_what_is_left_is_refused() -> None:
    batch = cart_batch()
    batch["stops"][0].update(barcodes=["2000000000031", "MUG-PACK2"], packs={"MUG-PACK2": 2})
    state, _ = feed(at_first_stop(batch), Scan("A01-03-1"), Scan("MUG-PACK2"))
    assert state.step == Step.QTY and state.count == 2
    refused_alone(state, "MUG-PACK2", "Pack too big")
    state, commands = feed(state, Scan("2000000000031"), Scan("T1"))
    # One scan for all units: the smallest, so a server counting packs reads units.
    confirm = next(c for c in commands if isinstance(c, Submit))
    assert confirm.body["item"] == "2000000000031" and confirm.body["qty"] == 3


def test_the_next_stop_at_the_same_location_starts_at_the_item() -> None:
    batch = cart_batch()
    batch["stops"][1]["location"] = "A01-03-1"
    state, _ = feed(at_first_stop(batch), Scan("47"), Scan("2000000000031"), Scan(""), Scan("T1"))
    assert state.step == Step.ITEM and state.location_scan == "47"
    assert state.stop is not None and state.stop["task_id"] == 302


def test_a_stop_without_a_slot_is_confirmed_without_a_tote() -> None:
    batch = cart_batch()
    batch["stops"][1]["slot"] = None
    state, _ = feed(at_first_stop(batch), Key("skip"))
    state, commands = feed(state, Scan("A02-01-2"), Scan("4006381333931"))
    confirm = next(c for c in commands if isinstance(c, Submit) and "confirm" in c.path)
    assert confirm.body["tote"] is None and state.stop is not None
    assert state.stop["task_id"] == 303


# -- lots ------------------------------------------------------------------------------------
def lot_batch() -> dict[str, Any]:
    batch = cart_batch()
    batch["stops"][0].update(
        lot="L1", lots=[{"lot": "L1", "expiry": "2027-01-31"}, {"lot": "L2", "expiry": ""}]
    )
    return batch


def test_a_lot_is_asked_when_the_location_holds_several_and_a_wrong_one_is_refused() -> None:
    state, _ = feed(at_first_stop(lot_batch()), Scan("A01-03-1"), Scan("2000000000031"))
    assert state.step == Step.LOT
    shown = show(state)
    assert shown is not None and shown.info == "1 L1 2027-01-31\n2 L2"
    refused_alone(state, "2", "Wrong lot")
    refused_alone(state, "]C101" + "04006381333931" + "10L1", "Wrong item")
    after, commands = advance(state, Scan(""))
    assert commands == [] and after.step == Step.LOT
    state, _ = advance(state, Scan("1"))
    assert state.step == Step.QTY and state.lot == "L1"
    state, commands = feed(state, Scan(""), Scan("T1"))
    assert next(c for c in commands if isinstance(c, Submit)).body["lot"] == "L1"


def test_a_scan_that_carries_its_lot_asks_no_lot_and_a_wrong_lot_is_refused() -> None:
    state, _ = advance(at_first_stop(lot_batch()), Scan("A01-03-1"))
    refused_alone(state, "]C101" + GTIN_MUG + "10L2", "Wrong lot")
    state, _ = advance(state, Scan("]C101" + GTIN_MUG + "10L1"))
    assert state.step == Step.QTY


# -- short pick ------------------------------------------------------------------------------
def test_a_short_pick_sends_what_was_found_into_the_tote() -> None:
    state, _ = advance(at_first_stop(), Key("short"))
    assert state.step == Step.SHORT_QTY
    shown = show(state)
    assert shown is not None and shown.banner == "FOUND HOW MANY?"
    refused_alone(state, "3", "Less than asked")
    refused_alone(state, "x", "Less than asked")
    state, _ = advance(state, Scan("1"))
    assert state.step == Step.SHORT_ITEM
    refused_alone(state, "4006381333931", "Wrong item")
    state, _ = advance(state, Scan("2000000000031"))
    assert state.step == Step.SHORT_TOTE
    refused_alone(state, "T2", "Wrong tote")
    state, commands = advance(state, Scan("T1"))
    body = {"found": 1, "item": "2000000000031", "tote": "T1"}
    assert commands[0] == Submit("/picking/tasks/301/short", body, "Short SKU-0003")
    assert state.batch is not None and state.batch["stops"][0]["status"] == "short"
    assert state.stop is not None and state.stop["task_id"] == 302


def test_a_short_of_nothing_is_sent_at_once() -> None:
    state, commands = feed(at_first_stop(), Key("short"), Scan("0"))
    short = next(c for c in commands if isinstance(c, Submit))
    assert short.body == {"found": 0, "item": None, "tote": None}
    assert state.stop is not None and state.stop["task_id"] == 302


def test_enter_at_a_short_takes_the_units_in_hand_as_all_there_was() -> None:
    state, _ = feed(at_first_stop(), Scan("47"), Scan("2000000000031"), Key("short"), Scan(""))
    assert state.step == Step.SHORT_TOTE and state.found == 1


def test_a_short_of_a_lot_tracked_item_asks_the_lot_and_sends_it_in_the_scan() -> None:
    state, commands = feed(
        at_first_stop(lot_batch()), Key("short"), Scan("1"), Scan("2000000000031"), Scan("1")
    )
    assert state.step == Step.SHORT_TOTE
    state, commands = advance(state, Scan("T1"))
    assert commands[0].body["item"] == "]C101" + GTIN_MUG + "10L1"


def test_short_is_only_for_a_stop_under_way() -> None:
    state = taken()
    assert advance(state, Key("short")) == (state, [])  # binding totes: no stop yet
    drop = pick_all(at_first_stop())
    assert advance(drop, Key("short")) == (drop, [])
    at_tote, _ = feed(at_first_stop(), Scan("47"), Scan("3"))
    assert advance(at_tote, Key("short"))[0].step == Step.SHORT_QTY


# -- skip, pause, hand over, back, drop --------------------------------------------------------
def test_skip_sends_the_stop_to_the_end() -> None:
    state, commands = advance(at_first_stop(), Key("skip"))
    assert sent(commands) == ["/picking/tasks/301/skip"]
    assert state.batch is not None
    assert [s["task_id"] for s in state.batch["stops"]] == [302, 303, 301]
    assert state.batch["stops"][-1]["status"] == "skipped"
    assert state.stop is not None and state.stop["task_id"] == 302
    mid, _ = feed(state, Scan("A02-01-2"), Scan("4006381333931"))
    assert advance(mid, Key("skip")) == (mid, [])


def test_pause_keeps_the_batch_and_leaves_and_does_nothing_without_one() -> None:
    state, commands = advance(at_first_stop(), Key("pause"))
    assert sent(commands) == ["/picking/batches/12/pause"] and commands[-1] == Leave()
    assert state.batch is not None and state.batch["status"] == "paused"
    assert advance(Pick(), Key("pause")) == (Pick(), [])


def test_a_hand_over_is_cancelled_by_back_and_done_by_a_badge() -> None:
    state, _ = advance(at_first_stop(), Key("handover"))
    assert state.step == Step.HANDOVER
    shown = show(state)
    assert shown is not None and shown.banner == "SCAN NEW BADGE"
    assert advance(state, Key("back"))[0].step == Step.LOCATION
    assert advance(state, Scan(""))[1] == []
    state, commands = advance(state, Scan("B1002"))
    assert commands == [
        Submit("/picking/batches/12/handover", {"badge": "B1002"}, "Hand over B1002"),
        ForgetBatch(),
        Leave(),
    ]
    assert state.batch is None
    mid, _ = advance(at_first_stop(), Scan("47"))
    assert advance(mid, Key("handover"))[0].step == Step.ITEM


def test_back_undoes_the_step_and_leaves_from_a_stop_s_start() -> None:
    at_item, _ = advance(at_first_stop(), Scan("47"))
    back, _ = advance(at_item, Key("back"))
    assert back.step == Step.LOCATION and back.location_scan == ""
    at_qty, _ = advance(at_item, Scan("2000000000031"))
    back, _ = advance(at_qty, Key("back"))
    assert (back.step, back.count, back.item_scan) == (Step.ITEM, 0, "")
    at_lot, _ = feed(at_first_stop(lot_batch()), Scan("47"), Scan("2000000000031"))
    assert advance(at_lot, Key("back"))[0].step == Step.ITEM
    at_tote, _ = advance(at_qty, Scan(""))
    assert advance(at_tote, Key("back"))[0].step == Step.ITEM
    for state in feed(at_first_stop(), Key("short"))[0], feed(at_qty, Key("short"), Scan("1"))[0]:
        assert advance(state, Key("back"))[0].step == Step.LOCATION
    assert advance(at_first_stop(), Key("back"))[1] == [Leave()]


def pick_all(state: Pick) -> Pick:
    state, _ = feed(
        state,
        *[Scan(c) for c in ("47", "2000000000031", "", "T1")],
        *[Scan(c) for c in ("12", "4006381333931", "T2")],
        *[Scan(c) for c in ("85", "5012345678900", "", "T1")],
    )
    return state


def test_the_drop_finishes_the_batch_and_enter_then_asks_for_the_next() -> None:
    state = pick_all(at_first_stop())
    assert state.step == Step.DROP
    shown = show(state)
    assert shown is not None and shown.banner == "DROP STAGE-01" and shown.digits == "91"
    refused_alone(state, "STAGE-02", "Wrong location")
    state, commands = advance(state, Scan("91"))
    assert sent(commands) == ["/picking/batches/12/finish"] and state.step == Step.DONE
    shown = show(state)
    assert shown is not None and shown.banner == "DONE"
    state, commands = advance(state, Scan(""))
    assert ForgetBatch() in commands and FetchNext() in commands
    assert state.step == Step.IDLE and state.batch is None


# -- answers from the server -------------------------------------------------------------------
def test_the_server_s_view_is_taken_between_stops_but_not_mid_stop_or_while_sending() -> None:
    state = at_first_stop()
    view = copy.deepcopy(state.batch)
    assert view is not None
    view["stops"].append(dict(view["stops"][0], task_id=403, location="C01-01-1"))
    view["stops"][0]["status"] = "short"
    busy, commands = advance(state, Flushed([view], rejected=False, busy=True))
    assert commands == [] and busy.stop is not None and busy.stop["task_id"] == 301
    mid, _ = advance(state, Scan("47"))
    kept, commands = advance(mid, Flushed([view], rejected=False, busy=False))
    assert commands == [] and kept.step == Step.ITEM
    taken_view, commands = advance(state, Flushed([view, {"other": 1}], rejected=False, busy=False))
    assert isinstance(commands[0], SaveBatch)
    assert taken_view.stop is not None and taken_view.stop["task_id"] == 302
    other = dict(view, id=99)
    assert advance(state, Flushed([other], rejected=False, busy=False))[1] == []


def test_a_refused_step_asks_for_the_server_s_batch_once_all_is_sent() -> None:
    state = at_first_stop()
    stale, commands = advance(state, Flushed([], rejected=True, busy=True))
    assert commands == [] and stale.stale
    fresh, commands = advance(stale, Flushed([], rejected=False, busy=False))
    assert commands == [Resync(12)] and not fresh.stale
    server = cart_batch()
    server["stops"][0]["status"] = "done"
    server["slots"][0]["tote"], server["slots"][1]["tote"] = "T1", "T2"
    resynced, _ = advance(fresh, Resynced(server))
    assert resynced.stop is not None and resynced.stop["task_id"] == 302
    assert advance(Pick(), Resynced(server)) == (Pick(), [])


def test_every_step_of_a_batch_is_shown() -> None:
    batch = lot_batch()
    batch["slots"][0].update(tote="T0042", fetch_from="STAGE-01")
    state = taken(batch)
    shown = {state.step}
    events = [
        Scan("T0042"), Scan("T2"), Key("handover"), Key("back"), Scan("47"),
        Scan("2000000000031"), Scan("1"), Scan(""), Key("back"), Key("short"), Key("back"),
        Key("short"), Scan("1"), Scan("2000000000031"), Scan("1"), Scan("T0042"),
        Scan("12"), Scan("4006381333931"), Scan("T2"),
        Scan("85"), Scan("5012345678900"), Scan(""), Scan("T0042"), Scan("91"),
    ]  # fmt: skip
    for event in events:
        state, _ = advance(state, event)
        assert show(state) is not None, state.step
        shown.add(state.step)
    assert shown == set(Step) - {Step.IDLE}

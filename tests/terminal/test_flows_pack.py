"""The pack flow as a state machine, without Textual: every step, every bad scan, every answer."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from terminal.flows.base import Key, Leave, NoteOnline, Refusal, Say, Scan, ShowProblem, Submit
from terminal.flows.pack import (
    AskPrinter,
    Call,
    Closed,
    CloseParcel,
    Failed,
    FollowLabel,
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
    advance,
    show,
    totes_of,
)
from tests.terminal.fake_floor import SHIPPED, pack_order

READY = {"scale": False, "label_printer": {"status": "ready"}}
PARCEL = dict(SHIPPED, label_job={"id": 31, "status": "queued"})


def feed(state: Pack, *events: Any) -> tuple[Pack, list[Any]]:
    commands: list[Any] = []
    for event in events:
        state, out = advance(state, event)
        commands += out
    return state, commands


def problems(commands: list[Any]) -> list[str]:
    return [c.title for c in commands if isinstance(c, ShowProblem)]


def fresh(**kw: Any) -> Pack:
    keys = (f"key-{n}" for n in itertools.count(1))
    return Pack(station="PACK-01", keys=lambda: next(keys), **kw)


def opened(view: dict[str, Any] | None = None, station: dict[str, Any] = READY) -> Pack:
    state, commands = advance(fresh(), Scan("T0070"))
    assert commands == [StartOrder("T0070")]
    state, _ = advance(state, Started("T0070", view or pack_order(), station))
    return state


def verified(**kw: Any) -> Pack:
    state, _ = feed(opened(**kw), *[Scan(c) for c in ("2000000000031", "4006381333931")])
    state, _ = advance(state, Scan("4006381333931"))
    assert state.step == Step.CARTON
    return state


def refused_alone(state: Pack, code: str, title: str) -> None:
    after, commands = advance(state, Scan(code))
    assert problems(commands) == [title], commands
    assert not any(isinstance(c, (Submit, CloseParcel)) for c in commands)
    assert after.step == state.step


# -- start, totes ---------------------------------------------------------------------------
def test_the_start_asks_for_a_tote_or_order_and_enter_alone_asks_nothing() -> None:
    shown = show(fresh())
    assert shown is not None and (shown.step, shown.banner) == (
        "Pack at PACK-01",
        "SCAN TOTE/ORDER",
    )
    assert advance(fresh(), Scan("")) == (fresh(), [])


def test_an_order_opens_at_its_first_item_with_the_suggested_carton() -> None:
    state = opened()
    assert state.step == Step.VERIFY and state.carton == "BOX-S" and state.start_scan == "T0070"
    shown = show(state)
    assert shown is not None and (shown.banner, shown.digits) == ("Blue mug", "3")


def test_a_printer_fault_is_told_when_the_order_opens() -> None:
    station = {"label_printer": {"status": "paper_out", "message": "Load labels"}}
    state, commands = advance(
        advance(fresh(), Scan("T0070"))[0], Started("T0070", pack_order(), station)
    )
    assert commands == [
        ShowProblem("Printer paper_out", "Load labels", "Labels wait until it is fixed")
    ]
    assert state.step == Step.VERIFY


def test_an_order_in_several_totes_waits_for_each_one_at_the_bench() -> None:
    view = pack_order()
    view["totes"] = [
        {"tote": "T0070", "location": "STAGE-01", "on_cart": False, "scanned": True},
        {"tote": "T0071", "location": None, "on_cart": True, "scanned": False},
    ]
    state = opened(view)
    assert state.step == Step.TOTES and totes_of(view)[1] == ("T0071", False, "on a cart")
    shown = show(state)
    assert shown is not None and shown.banner == "SCAN TOTE T0071"
    assert shown.info == "T0070 ok\nT0071 on a cart\nEnter: ask again"
    refused_alone(state, "T0099", "Not this order's")
    assert advance(state, Scan(""))[1] == [StartOrder("T0070")]  # ask again
    assert advance(state, Scan("t0071"))[1] == [StartOrder("t0071")]
    assert advance(state, Scan("T0070"))[0].step == Step.TOTES  # here already
    view["totes"][1]["scanned"] = True
    state, _ = advance(state, Started("T0071", view, READY))
    assert state.step == Step.VERIFY and state.start_scan == "T0070"


def test_an_order_that_cannot_open_says_why() -> None:
    state = advance(fresh(), Scan("T0070"))[0]
    after, commands = advance(state, Failed(Call.START, None))
    assert commands == [
        NoteOnline(False),
        ShowProblem("Server unreachable", "", "Packing needs the server"),
    ]
    refusal = Refusal("not_packable", "Not packable", "T0070", "Not packable")
    assert advance(state, Failed(Call.START, refusal))[1] == [
        ShowProblem("Not packable", "T0070", "")
    ]
    assert after.step == Step.START


# -- verify, carton, weight -----------------------------------------------------------------
def test_each_item_is_verified_and_journaled_and_a_wrong_or_extra_one_is_refused() -> None:
    state = opened()
    state, commands = advance(state, Scan("2000000000031"))
    assert commands == [
        Submit("/packing/orders/70/verify", {"scan": "2000000000031"}, "Pack SKU-0003")
    ]
    refused_alone(state, "2000000000031", "Too many")
    refused_alone(state, "5012345678900", "Not in this order")
    state, _ = feed(state, Scan("4006381333931"), Scan("4006381333931"))
    assert state.step == Step.CARTON and state.carton == "BOX-S"


def test_a_pack_barcode_bigger_than_what_is_left_is_refused() -> None:
    view = pack_order()
    view["lines"][1].update(barcodes=["4006381333931", "TOWEL-3"], packs={"TOWEL-3": 3})
    refused_alone(opened(view), "TOWEL-3", "Pack too big")


def test_a_carton_is_chosen_by_number_code_or_enter_and_an_unknown_one_refused() -> None:
    state = verified()
    shown = show(state)
    assert shown is not None and shown.info == "1:MAILER-S 2:BOX-XS 3:BOX-S 4:BOX-M"
    refused_alone(state, "BOX-XXL", "Unknown carton")
    assert advance(state, Scan("4"))[0].carton == "BOX-M"
    assert advance(state, Scan("box-xs"))[0].carton == "BOX-XS"
    state, commands = advance(state, Scan(""))
    # Each choice takes a new key for the parcel: this is the third.
    assert (state.step, state.carton, state.close_key) == (Step.WEIGHT, "BOX-S", "key-3")
    assert commands == []


def test_a_scale_at_the_terminal_is_read_and_its_weight_closes_on_enter() -> None:
    state = fresh(scale=True)
    state, _ = advance(state, Scan("T0070"))
    state, _ = advance(state, Started("T0070", pack_order(), READY))
    state, _ = feed(state, *[Scan(c) for c in ("2000000000031", "4006381333931", "4006381333931")])
    state, commands = advance(state, Scan(""))
    assert commands == [ReadScale()]
    state, _ = advance(state, Weighed(640))
    shown = show(state)
    assert shown is not None and shown.banner == "640 g"
    state, commands = advance(state, Scan(""))
    assert commands == [CloseParcel(70, {"carton": "BOX-S", "weight_g": 640}, "key-1")]
    assert state.step == Step.PRINTING


def test_a_weight_must_be_typed_in_grams_when_no_scale_gives_it() -> None:
    state = advance(verified(), Scan(""))[0]
    shown = show(state)
    assert shown is not None and shown.banner == "TYPE GRAMS"
    refused_alone(state, "", "Type grams")
    refused_alone(state, "0", "Type grams")
    refused_alone(state, "heavy", "Type grams")
    state, commands = advance(state, Scan("812"))
    assert commands == [CloseParcel(70, {"carton": "BOX-S", "weight_g": 812}, "key-1")]


def test_a_station_scale_lets_enter_close_without_a_weight() -> None:
    state = advance(verified(station={"scale": True}), Scan(""))[0]
    assert advance(state, Scan(""))[1] == [
        CloseParcel(70, {"carton": "BOX-S", "weight_g": None}, "key-1")
    ]


def test_back_goes_from_weight_to_carton_to_verify_and_otherwise_leaves() -> None:
    state = advance(verified(), Scan(""))[0]
    state = advance(state, Key("back"))[0]
    assert state.step == Step.CARTON
    assert advance(state, Key("back"))[0].step == Step.CARTON  # all verified: stays
    mid = advance(opened(), Scan("2000000000031"))[0]
    mid.step = Step.CARTON
    assert advance(mid, Key("back"))[0].step == Step.VERIFY
    assert advance(opened(), Key("back"))[1] == [Leave()]


# -- closing, labels --------------------------------------------------------------------------
def closing() -> Pack:
    return advance(advance(verified(), Scan(""))[0], Scan("812"))[0]


def test_a_closed_parcel_s_label_is_followed_until_it_prints() -> None:
    state = closing()
    shown = show(state)
    assert shown is not None and shown.banner == "PRINTING…"
    view = dict(pack_order(), status="done")
    state, commands = advance(state, Closed({"parcel": PARCEL, "view": view}))
    assert commands == [FollowLabel(31)] and state.step == Step.PRINTING
    state, commands = advance(state, LabelSeen({"status": "done"}))
    assert commands == [] and state.step == Step.PACKED
    shown = show(state)
    assert shown is not None and shown.banner == "PUT LABEL ON" and shown.digits == "1"
    assert "WMS0000000017" in shown.info
    state, _ = advance(state, Scan(""))
    assert (state.step, state.view, state.parcel) == (Step.START, None, None)


def test_the_next_parcel_of_an_order_with_items_left_goes_back_to_verify() -> None:
    view = pack_order()
    view["lines"][0]["verified"] = 1
    state, _ = feed(
        closing(), Closed({"parcel": PARCEL, "view": view}), LabelSeen({"status": "done"})
    )
    assert advance(state, Scan(""))[0].step == Step.VERIFY


def test_a_close_that_fails_goes_back_to_the_weight_and_keeps_its_key() -> None:
    state, commands = advance(closing(), Failed(Call.CLOSE, None))
    assert state.step == Step.WEIGHT and state.close_key == "key-1"
    assert commands == [
        NoteOnline(False),
        ShowProblem("Server unreachable", "", "Enter to try again"),
    ]
    assert advance(state, Scan(""))[1] == [
        CloseParcel(70, {"carton": "BOX-S", "weight_g": 812}, "key-1")
    ]
    refusal = Refusal("wrong_carton", "Carton too small", "BOX-M")
    state, commands = advance(closing(), Failed(Call.CLOSE, refusal))
    assert state.step == Step.WEIGHT and commands == [ShowProblem("Carton too small", "BOX-M", "")]


def packed_with(job: dict[str, Any], printer: dict[str, Any] | None = None) -> list[Any]:
    state, commands = feed(
        closing(), Closed({"parcel": PARCEL, "view": pack_order()}), LabelSeen(job)
    )
    assert state.step == Step.PACKED
    if printer is not None:
        assert commands[-1] == AskPrinter()
        state, more = advance(state, PrinterSeen(printer))
        commands += more
    return commands


def test_a_label_of_unknown_fate_asks_the_packer_to_look_before_a_reprint() -> None:
    assert problems(packed_with({"status": "unknown"})) == ["Check printer"]


def test_a_slow_label_is_only_slow_and_a_faulty_printer_or_failed_job_says_what_to_do() -> None:
    assert problems(packed_with({"status": "queued"}, {"status": "ready"})) == []
    fault = packed_with({"status": "queued"}, {"status": "paper_out", "message": "Load labels"})
    assert fault[-1] == ShowProblem("Printer paper_out", "Load labels", "it prints when fixed")
    failed = packed_with({"status": "failed", "error": "head open"}, {})
    assert failed[-1] == ShowProblem("Printer failed", "head open", "then F7 to reprint")


def test_a_reprint_asks_first_when_the_label_may_have_printed() -> None:
    state, _ = feed(
        closing(),
        Closed({"parcel": PARCEL, "view": pack_order()}),
        LabelSeen({"status": "unknown"}),
    )
    state, commands = advance(state, Key("reprint"))
    assert commands == [Reprint(900)]
    asked, _ = advance(
        state, Failed(Call.REPRINT, Refusal("label_may_have_printed", "Label may be out"))
    )
    assert asked.step == Step.LABEL_OUT
    shown = show(asked)
    assert shown is not None and shown.banner == "LABEL OUT?"
    refused_alone(asked, "3", "Type 1 or 2")
    out, commands = advance(asked, Scan("1"))
    assert out.step == Step.PACKED and commands == [
        Say("Label is out", "PUT LABEL ON", "WMS0000000017")
    ]
    again, commands = advance(asked, Scan("2"))
    assert again.step == Step.PACKED and commands == [Reprint(900, label_missing=True)]
    printing, commands = advance(again, Reprinted({"job": {"id": 32}}))
    assert printing.step == Step.PRINTING and commands == [FollowLabel(32)]


def test_a_reprint_refused_or_unreachable_is_said_and_none_without_a_parcel() -> None:
    state, _ = feed(
        closing(), Closed({"parcel": PARCEL, "view": pack_order()}), LabelSeen({"status": "done"})
    )
    assert advance(state, Failed(Call.REPRINT, None))[1] == [ShowProblem("Server unreachable")]
    no = Refusal("not_found", "No such parcel")
    assert advance(state, Failed(Call.REPRINT, no))[1] == [ShowProblem("No such parcel")]
    assert advance(fresh(), Key("reprint"))[1] == []


# -- scan and ship --------------------------------------------------------------------------
def test_scan_and_ship_prints_at_once_and_a_retry_reuses_the_key() -> None:
    state = advance(fresh(), Key("ship_mode"))[0]
    assert state.step == Step.SHIP
    assert advance(state, Scan(""))[1] == []
    state, commands = advance(state, Scan("4006381333931"))
    assert commands == [ShipItem("4006381333931", "key-1")]
    retry, commands = advance(state, Failed(Call.SHIP, None))
    assert commands[0] == NoteOnline(False) and problems(commands) == ["Server unreachable"]
    assert advance(retry, Scan("4006381333931"))[1] == [ShipItem("4006381333931", "key-1")]
    state, commands = advance(retry, Shipped({"parcel": PARCEL, "reference": "#2001"}))
    assert state.step == Step.PRINTING and commands == [FollowLabel(31)]
    state, _ = advance(state, LabelSeen({"status": "done"}))
    assert state.step == Step.SHIP_PACKED
    shown = show(state)
    assert shown is not None and (shown.step, shown.info) == ("#2001 shipped", "WMS0000000017")
    assert advance(state, Scan("4006381333931"))[1] == [ShipItem("4006381333931", "key-2")]
    assert advance(state, Key("ship_mode"))[0].step == Step.START


def test_scan_and_ship_refused_forgets_the_key() -> None:
    state = advance(advance(fresh(), Key("ship_mode"))[0], Scan("4006381333931"))[0]
    refusal = Refusal("not_single", "Not a single item", "", "order has 2 lines")
    state, commands = advance(state, Failed(Call.SHIP, refusal))
    assert commands == [ShowProblem("Not a single item", "", "order has 2 lines")]
    assert advance(state, Scan("4006381333931"))[1] == [ShipItem("4006381333931", "key-2")]


def test_a_scan_and_ship_label_fault_is_told_and_the_screen_says_shipped() -> None:
    state = advance(advance(fresh(), Key("ship_mode"))[0], Scan("4006381333931"))[0]
    state, _ = advance(state, Shipped({"parcel": PARCEL, "reference": "#2001"}))
    state, commands = feed(state, LabelSeen({"status": "queued"}), PrinterSeen({"status": "jam"}))
    assert problems(commands) == ["Printer jam"] and state.step == Step.SHIP_PACKED


def test_ship_mode_only_switches_between_orders_and_scans_ignore_printing() -> None:
    assert advance(opened(), Key("ship_mode"))[0].step == Step.VERIFY
    assert advance(closing(), Scan("812")) == (closing(), [])


def test_the_given_state_is_never_changed() -> None:
    state = opened()
    before = copy.deepcopy(state)
    feed(state, Scan("2000000000031"), Scan("4006381333931"), Scan("4006381333931"), Scan("4"))
    assert state == before and state.view == before.view

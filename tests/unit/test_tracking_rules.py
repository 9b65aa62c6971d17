"""The tracking rule and the generic carrier's simulated tracker, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wms.carriers.generic import GenericCarrier, simulate
from wms.domain.tracking import TrackingEventIn, TrackingStatus, moves, order_delivered, status_of

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(status: TrackingStatus, minutes: int) -> TrackingEventIn:
    return TrackingEventIn(f"k{minutes}", T0 + timedelta(minutes=minutes), status)


def test_a_newer_event_moves_the_state_and_an_older_one_does_not():
    assert moves("in_transit", T0, _event(TrackingStatus.OUT_FOR_DELIVERY, 5))
    assert not moves("out_for_delivery", T0, _event(TrackingStatus.IN_TRANSIT, -5))
    assert moves("pending", None, _event(TrackingStatus.PICKED_UP, 0))


def test_a_final_state_is_never_left_and_unknown_never_moves_anything():
    assert not moves("delivered", T0, _event(TrackingStatus.RETURN_TO_SENDER, 60))
    assert not moves("cancelled", T0, _event(TrackingStatus.IN_TRANSIT, 60))
    assert not moves("in_transit", T0, _event(TrackingStatus.UNKNOWN, 60))


def test_a_status_outside_karrios_vocabulary_reads_as_unknown():
    assert status_of("in_transit") is TrackingStatus.IN_TRANSIT
    assert status_of("teleported") is TrackingStatus.UNKNOWN


def test_an_order_is_delivered_only_when_every_parcel_is():
    assert order_delivered(["delivered", "delivered"])
    assert not order_delivered(["delivered", "in_transit"]) and not order_delivered([])


def test_the_simulated_parcel_moves_one_state_every_step_after_the_handover():
    carrier = GenericCarrier(prefix="DW", simulate_minutes=2)
    number = carrier.tracking_number(7)
    at = {number: T0}
    assert [e.status for e in simulate(carrier, [number], at, T0)[0].events] == ["picked_up"]
    later = simulate(carrier, [number], at, T0 + timedelta(minutes=4, seconds=1))[0]
    assert [e.status for e in later.events] == ["picked_up", "in_transit", "out_for_delivery"]
    assert later.estimated_delivery == T0 + timedelta(minutes=6)
    done = simulate(carrier, [number], at, T0 + timedelta(hours=1))[0]
    assert done.events[-1].status == "delivered" and len({e.key for e in done.events}) == 4


def test_the_simulator_knows_nothing_of_other_numbers_or_when_it_is_off():
    carrier = GenericCarrier(prefix="DW", simulate_minutes=2)
    assert simulate(carrier, ["1Z5R89390357567127"], {"1Z5R89390357567127": T0}, T0) == []
    off = GenericCarrier(prefix="DW")
    assert simulate(off, [off.tracking_number(7)], {off.tracking_number(7): T0}, T0) == []

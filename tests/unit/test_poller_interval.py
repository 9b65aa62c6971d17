"""The tracking poller's pause follows the site's carriers as they are reloaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wms.carriers import registry
from wms.services.tracking_poll import Poller


@pytest.fixture
def site_carriers() -> Iterator[None]:
    before = registry.current()
    yield
    registry.configure(before)


def test_the_pause_is_read_again_after_the_carriers_are_reloaded(site_carriers: None) -> None:
    registry.configure(registry.SiteCarriers(poll_seconds=60.0))
    poller = Poller(db=None)  # type: ignore[arg-type]  # the pause needs no database
    assert poller.every_s == 60.0
    registry.configure(registry.SiteCarriers(poll_seconds=5.0))
    assert poller.every_s == 5.0


def test_a_pause_given_by_the_caller_stays_as_given(site_carriers: None) -> None:
    registry.configure(registry.SiteCarriers(poll_seconds=5.0))
    assert Poller(db=None, every_s=0.5).every_s == 0.5  # type: ignore[arg-type]

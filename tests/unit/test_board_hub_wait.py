"""The live board's hub gathers events longer when its re-reads grow long."""

from __future__ import annotations

from typing import Any

import pytest

from wms.web import live


@pytest.mark.parametrize(
    ("render_s", "wait_s"),
    [(0.0, live.COALESCE_S), (0.005, live.COALESCE_S), (0.03, 0.27), (0.2, live.MAX_WAIT_S)],
)
def test_the_wait_before_a_re_read_keeps_the_boards_to_a_tenth_of_the_server(
    render_s: float, wait_s: float
) -> None:
    hub = live.Hub(app=Any)  # type: ignore[arg-type]  # the wait reads no app
    hub._render_s = render_s
    assert hub.wait_s() == pytest.approx(wait_s)

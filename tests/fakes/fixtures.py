"""Pytest fixtures for the fakes; import them into a test module or a conftest to use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.channel_apis import FakeChannelApis


@pytest.fixture(scope="module")
def fake_channel_apis() -> Iterator[FakeChannelApis]:
    """One fake per test module (port 0, so xdist workers never collide)."""
    with FakeChannelApis() as fake:
        yield fake

"""Shared fixtures: a real WMS server on loopback over a throwaway database per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.channel_apis import FakeChannelApis
from tests.support import api
from tests.support.databases import backends, new_database, point_channels_at
from wms.domain.orders import ChannelKind
from wms.loopback import ThreadServer


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The PostgreSQL run is added only when a server is configured, never skipped silently.
    if "backend" in metafunc.fixturenames:
        params = [
            pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else [])
            for b in backends()
        ]
        metafunc.parametrize("backend", params, scope="module")


@pytest.fixture(scope="session")
def db_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("db")


@pytest.fixture(scope="module")
def database_url(backend: str, db_folder: Path) -> str:
    return new_database(backend, db_folder)


@pytest.fixture(scope="module")
def fake_channels() -> Iterator[FakeChannelApis]:
    """The channels' APIs (TikTok, Shopify, WooCommerce, own shop), faked on loopback."""
    with FakeChannelApis() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(database_url: str, fake_channels: FakeChannelApis) -> Iterator[ThreadServer]:
    point_channels_at(database_url, {k.value: fake_channels.base_url(k) for k in ChannelKind})
    with ThreadServer(database_url) as srv:
        yield srv


@pytest.fixture(scope="module")
def supervisor(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "supervisor")) as c:
        yield c


@pytest.fixture(scope="module")
def picker(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "picker")) as c:
        yield c


@pytest.fixture(scope="module")
def integration(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.INTEGRATION_TOKEN) as c:
        yield c


@pytest.fixture(scope="module")
def anonymous(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url) as c:
        yield c

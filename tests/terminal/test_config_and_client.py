"""Settings precedence (CLI > environment > file) and the client's typed errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.client import ApiError, FloorClient, Offline
from terminal.config import load
from tests.terminal.fake_floor import free_port


def test_the_command_line_beats_the_environment_which_beats_the_file(tmp_path: Path):
    file = tmp_path / "wms-terminal.toml"
    file.write_text('server = "http://file:8000"\nstation = "PACK-09"\nscanner = "loop://"\n')
    env = {"WMS_TERMINAL_CONFIG": str(file), "WMS_TERMINAL_STATION": "PACK-02"}
    settings = load(["--server", "http://cli:8000"], env)
    assert settings.server == "http://cli:8000"
    assert settings.station == "PACK-02"
    assert settings.scanner == "loop://"


def test_a_terminal_section_in_the_file_works_too_and_defaults_fill_the_rest(tmp_path: Path):
    file = tmp_path / "t.toml"
    file.write_text('[terminal]\nweb_port = 9001\njournal = "~/j.sqlite"\n')
    settings = load(["--config", str(file)], {})
    assert settings.web_port == 9001 and settings.journal == Path("~/j.sqlite").expanduser()
    assert settings.server == "http://127.0.0.1:8000" and not settings.web
    assert load(["--web", "--scanner", "serial:///dev/ttyACM0?baudrate=9600"], {}).web


async def test_a_problem_answer_becomes_a_typed_error_with_the_expected_value(fake):
    client = FloorClient(fake.url)
    await client.login("B1001", "1234")
    await client.next_batch()
    with pytest.raises(ApiError) as caught:
        await client.post(
            "/picking/tasks/301/confirm",
            {"location": "B09-09-9", "item": "x", "qty": 1, "tote": None},
        )
    assert (caught.value.status, caught.value.code) == (422, "wrong_location")
    assert caught.value.title == "Wrong location" and caught.value.expected == "A01-03-1"
    with pytest.raises(ApiError) as caught:
        await client.login("B1001", "9999")
    assert caught.value.code == "bad_login"
    await client.aclose()


async def test_an_unreachable_server_is_offline_not_an_error():
    client = FloorClient(f"http://127.0.0.1:{free_port()}", timeout_s=1)
    with pytest.raises(Offline):
        await client.get("/auth/me")
    await client.aclose()

"""Serial scanners through pyserial (loop:// and a pty), and the scale reading."""

from __future__ import annotations

import os
import pty
import threading

from terminal.app import TerminalApp
from terminal.config import Settings
from terminal.scanner import LineSplitter, SerialScanner, open_port, parse_weight_g
from tests.support.waiting import wait_until
from tests.terminal.conftest import scan, wait_for


def collect(scanner_url: str) -> tuple[SerialScanner, list[str], threading.Event]:
    codes: list[str] = []
    got = threading.Event()

    def on_code(code: str) -> None:
        codes.append(code)
        got.set()

    return SerialScanner(scanner_url, on_code), codes, got


def test_codes_split_on_cr_lf_or_crlf_and_keep_the_gs1_separator():
    splitter = LineSplitter()
    assert splitter.feed(b"4006381333931\r\n]C1010") == ["4006381333931"]
    assert splitter.feed(b"4012345678901\x1d10LOT7\r") == ["]C10104012345678901\x1d10LOT7"]
    assert splitter.feed(b"\n\nA01-03-1\n") == ["A01-03-1"]


def test_a_loop_port_delivers_each_scanned_line():
    scanner, codes, _ = collect("loop://")
    scanner.start()
    try:
        assert scanner.port is not None
        scanner.port.write(b"T0042\r\n4006381333931\r\n")
        wait_until(lambda: len(codes) == 2, "both codes from the serial scanner")
        assert codes == ["T0042", "4006381333931"]
    finally:
        scanner.stop()


def test_a_serial_url_names_the_device_and_its_baud_rate_on_a_pty():
    master, slave = pty.openpty()
    url = f"serial://{os.ttyname(slave)}?baudrate=9600"
    port = open_port(url)
    assert port.port == os.ttyname(slave) and port.baudrate == 9600
    port.close()
    scanner, codes, _ = collect(url)
    scanner.start()
    try:
        os.write(master, b"A01-03-1\r")
        wait_until(lambda: codes == ["A01-03-1"], "the code from the serial scanner")
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)


def test_a_scale_line_is_read_in_grams():
    assert parse_weight_g("ST,GS,   0.812 kg\r\n") == 812
    assert parse_weight_g("S S     812 g") == 812
    assert parse_weight_g("1.5 lb") == 680
    assert parse_weight_g("ERR") is None


async def test_the_app_takes_scans_from_a_serial_scanner(fake, tmp_path):
    settings = Settings(server=fake.url, journal=tmp_path / "j.sqlite", scanner="loop://")
    app = TerminalApp(settings)
    async with app.run_test(size=(20, 16)) as pilot:
        assert app.scanner is not None and app.scanner.port is not None
        app.scanner.port.write(b"B1001\r\n")  # the badge comes from the serial scanner
        await wait_for(pilot, lambda: "TYPE PIN" in str(app.screen.query_one("#banner").render()))
        await scan(pilot, "1234")  # the PIN from the keypad
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")
        await scan(pilot, "1")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "bind")
        app.scanner.port.write(b"T1\r\nT2\r\nA01-03-1\r\n")
        await wait_for(pilot, lambda: getattr(app.screen, "step", "") == "item")

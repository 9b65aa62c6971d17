"""Serial (pyserial loop:// and a pty), file:// and cups:// (through zebra) transports."""

from __future__ import annotations

import os
import pty
import stat
import threading
from pathlib import Path

import pytest

from printers.errors import BadPrinterUrl, PrinterSilent, PrinterUnreachable
from printers.printer import open_printer
from printers.status import PrinterStatus, format_host_status, hs_complete
from printers.transports import (
    CupsTransport,
    FileTransport,
    MemoryTransport,
    SerialTransport,
    TcpTransport,
    transport_for_url,
)

LABEL = b"^XA^CI28^FO10,10^A0N,30,30^FH_^FDhello^FS^XZ\n"


def test_pyserial_loop_url_carries_the_bytes_both_ways():
    with open_printer("loop://", status_timeout=0.3) as printer:
        printer.send(LABEL)
        assert printer.transport.read_until(lambda b: b.endswith(b"^XZ\n"), 1.0) == LABEL


def test_a_serial_printer_that_echoes_instead_of_answering_is_silent():
    with open_printer("loop://", status_timeout=0.2) as printer, pytest.raises(PrinterSilent):
        printer.status()


class FakeSerialPrinter(threading.Thread):
    """The far end of a pty: keeps labels, answers ~HS like a Zebra on RS-232."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.fd, self.received, self.stop = fd, b"", False

    def run(self) -> None:
        while not self.stop:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                return
            self.received += chunk
            if b"~HS" in chunk:
                os.write(self.fd, format_host_status(PrinterStatus(labels_remaining=0)))


def test_a_pty_serial_printer_gets_the_label_and_answers_status():
    master, slave = pty.openpty()
    import tty

    tty.setraw(master)  # no echo, no line discipline: bytes as a real port carries them
    tty.setraw(slave)
    device = FakeSerialPrinter(master)
    device.start()
    try:
        url = f"serial://{os.ttyname(slave)}?baudrate=115200"
        with open_printer(url, status_timeout=2) as printer:
            assert printer.transport.baudrate == 115200
            status = printer.print(LABEL)
        assert status is not None and status.ready
        assert LABEL in device.received
    finally:
        device.stop = True
        os.close(slave)
        os.close(master)


def test_a_missing_serial_device_is_unreachable_and_named():
    with pytest.raises(PrinterUnreachable, match="serial:///dev/ttyNOPE0"):
        open_printer("serial:///dev/ttyNOPE0").print(LABEL)


def test_file_printer_writes_each_job_to_the_next_numbered_file(tmp_path):
    with open_printer(f"file://{tmp_path}/out") as printer:
        assert printer.print(LABEL) is None  # a directory cannot answer ~HS
        printer.print(b"^XA^XZ")
    assert isinstance(printer.transport, FileTransport)
    assert [p.name for p in printer.transport.jobs()] == ["000001.zpl", "000002.zpl"]
    assert (tmp_path / "out" / "000001.zpl").read_bytes() == LABEL


def test_a_pdf_document_is_stored_as_pdf_in_the_same_numbering(tmp_path):
    transport = FileTransport(tmp_path / "docs")
    transport.write(LABEL)
    transport.write(b"%PDF-1.3\n% a packing slip")
    transport.write(LABEL)
    assert [p.name for p in transport.jobs()] == ["000001.zpl", "000002.pdf", "000003.zpl"]
    assert (tmp_path / "docs" / "000002.pdf").read_bytes().startswith(b"%PDF-")


def test_an_unwritable_file_printer_is_unreachable(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(PrinterUnreachable, match="not-a-dir"):
        open_printer(f"file://{blocker}").print(LABEL)


@pytest.fixture
def fake_cups(tmp_path, monkeypatch) -> Path:
    """lpstat and lpr on PATH that behave like CUPS with one raw queue 'zebra1'."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    spool = tmp_path / "spool"
    spool.mkdir()
    scripts = {
        "lpstat": """#!/bin/sh
if [ "$2" = "zebra1" ]; then echo "printer zebra1 is idle.  enabled since Thu 26 Nov"; exit 0; fi
if [ "$2" = "off1" ]; then echo "printer off1 disabled since Thu 26 Nov -"; exit 0; fi
if [ "$1" = "-p" ] && [ -z "$2" ]; then echo "printer zebra1 is idle."; exit 0; fi
echo "lpstat: Invalid destination name in list \\"$2\\"." >&2; exit 1
""",
        "lpr": f"""#!/bin/sh
if [ "$1" = "-Pbroken1" ]; then
  cat >/dev/null; echo "lpr: Error - scheduler not responding." >&2; exit 1
fi
n=$(ls {spool} | wc -l)
echo "$@" > {spool}/job$n.args
cat > {spool}/job$n.data
""",
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(body)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return spool


def test_a_cups_job_goes_through_zebra_to_lpr_raw(fake_cups):
    with open_printer("cups://zebra1") as printer:
        assert printer.print(LABEL) is None  # lpr reads nothing back
    assert (fake_cups / "job0.data").read_bytes() == LABEL
    assert (fake_cups / "job0.args").read_text().split() == ["-Pzebra1", "-oraw"]


def test_an_unknown_cups_queue_is_unreachable_and_named(fake_cups):
    with pytest.raises(PrinterUnreachable, match="cups://nosuch.*no such CUPS queue"):
        open_printer("cups://nosuch").print(LABEL)
    assert list(fake_cups.iterdir()) == []


def test_a_disabled_cups_queue_is_unreachable(fake_cups):
    with pytest.raises(PrinterUnreachable, match="disabled"):
        open_printer("cups://off1").print(LABEL)


def test_an_lpr_failure_is_reported_although_zebra_ignores_it(fake_cups):
    transport = CupsTransport("broken1")
    transport._checked = True  # the queue exists; the scheduler then fails
    with pytest.raises(PrinterUnreachable, match="lpr failed .*scheduler not responding"):
        transport.write(LABEL)


def test_without_cups_installed_the_error_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrinterUnreachable, match="CUPS is not installed"):
        open_printer("cups://zebra1").print(LABEL)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("tcp://10.0.0.5:9100", TcpTransport),
        ("tcp://printer.local", TcpTransport),
        ("cups://zebra1", CupsTransport),
        ("serial:///dev/ttyUSB0?baudrate=9600", SerialTransport),
        ("loop://", SerialTransport),
        ("socket://127.0.0.1:7000", SerialTransport),
        ("file:///tmp/labels", FileTransport),
        ("memory://test", MemoryTransport),
    ],
)
def test_a_printer_is_a_url(url, kind):
    transport = transport_for_url(url)
    assert isinstance(transport, kind)
    assert transport.url == url


def test_tcp_urls_default_to_port_9100():
    transport = transport_for_url("tcp://printer.local")
    assert isinstance(transport, TcpTransport) and transport.port == 9100


@pytest.mark.parametrize(
    "url", ["http://printer", "tcp://", "tcp://host:notaport", "cups://", "serial://", "lpt1"]
)
def test_a_bad_printer_url_is_a_typed_error_naming_it(url):
    with pytest.raises(BadPrinterUrl) as caught:
        transport_for_url(url)
    assert caught.value.printer == url


def test_memory_transport_answers_through_its_responder():
    transport = MemoryTransport(responder=lambda data: b"\x02a\x03\x02b\x03\x02c\x03")
    transport.write(b"~HS")
    assert hs_complete(transport.read_until(hs_complete, 0.1))

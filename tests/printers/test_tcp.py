"""Printing over TCP to the simulator on a loopback socket, faults included."""

from __future__ import annotations

import select
import socket
import time

import pytest

from printers.errors import (
    PrinterFault,
    PrinterSilent,
    PrinterTimeout,
    PrinterUnreachable,
)
from printers.labels import render_carrier_label, render_tote_label
from printers.printer import open_printer, print_label
from printers.samples import CARRIER, TOTE
from printers.transports import TcpTransport
from tests.support.waiting import wait_until

LABEL = render_tote_label(TOTE)
# Generous for answers that must come: a loaded CI machine may take a while.
OK = 10.0


def test_a_label_sent_over_tcp_is_printed_once_and_acknowledged(simulator):
    with open_printer(simulator.url, status_timeout=OK) as printer:
        status = printer.print(LABEL)
    assert status is not None and status.ready
    assert simulator.wait_for_labels(1) == [LABEL.rstrip(b"\n")]
    assert simulator.status_queries == 2


def test_a_one_shot_print_opens_and_closes_the_connection(simulator):
    print_label(simulator.url, LABEL, status_timeout=OK)
    assert simulator.wait_for_labels(1)
    assert simulator.connections == 1


def test_a_paper_out_printer_is_reported_as_a_fault(simulator):
    simulator.set_fault("paper_out")
    with (
        open_printer(simulator.url, status_timeout=OK) as printer,
        pytest.raises(PrinterFault) as caught,
    ):
        printer.print(LABEL)
    assert caught.value.reasons == ["paper out"]
    assert caught.value.printer == simulator.url
    assert simulator.labels == [] and simulator.pending == []


def test_a_head_open_printer_that_stays_silent_is_a_fault(simulator):
    simulator.set_fault("head_open", silent=True)
    with open_printer(simulator.url, status_timeout=0.3) as printer:
        started = time.monotonic()
        with pytest.raises(PrinterSilent, match=simulator.url):
            printer.print(LABEL)
    assert time.monotonic() - started < 5
    assert simulator.labels == []


def test_a_fault_appearing_after_the_label_was_sent_is_reported(simulator):
    with open_printer(simulator.url, status_timeout=OK) as printer:
        printer.print(LABEL)
        simulator.set_fault("ribbon_out")
        printer.send(LABEL)  # slipped in before anyone looked
        with pytest.raises(PrinterFault, match="ribbon out"):
            printer.check()
    # The printer keeps the label and prints it when the ribbon is changed.
    assert len(simulator.pending) == 1
    simulator.call("clear")
    assert len(simulator.wait_for_labels(2)) == 2


def test_a_slow_printer_still_prints_every_label_in_order(simulator):
    simulator.set_slow(0.05)
    jobs = [
        render_carrier_label(CARRIER).replace(b"TT-58193", f"TT-{i:05d}".encode()) for i in range(5)
    ]
    with open_printer(simulator.url, status_timeout=OK) as printer:
        started = time.monotonic()
        for job in jobs:
            printer.print(job)
    assert time.monotonic() - started >= 0.25
    assert simulator.labels == [job.rstrip(b"\n") for job in jobs]


def test_a_printer_slower_than_the_status_timeout_is_a_fault(simulator):
    simulator.set_slow(1.0)
    with open_printer(simulator.url, status_timeout=0.2) as printer, pytest.raises(PrinterSilent):
        printer.print(LABEL)


def test_a_dropped_connection_is_an_unreachable_printer_and_nothing_is_printed_twice(simulator):
    simulator.set_dropping(1)
    with open_printer(simulator.url, status_timeout=OK) as printer:
        with pytest.raises(PrinterUnreachable, match=simulator.url):
            printer.print(LABEL)
        # The next job opens a new connection and prints once.
        printer.print(LABEL)
    assert simulator.wait_for_labels(1) == [LABEL.rstrip(b"\n")]
    # Once the printer has seen every connection closed, all that was sent has been read.
    wait_until(lambda: not simulator.sim._writers, "the printer to see its connections closed")
    assert len(simulator.labels) == 1


def test_a_connection_the_printer_closed_while_idle_is_replaced_once(simulator):
    with open_printer(simulator.url, status_timeout=OK) as printer:
        printer.print(LABEL)
        simulator.call("disconnect_all")
        wait_until(lambda: not simulator.sim._writers, "the printer to close its connection")
        printer.print(LABEL)
    assert len(simulator.wait_for_labels(2)) == 2
    assert simulator.connections == 2


def test_a_large_job_arrives_whole_through_partial_writes(simulator):
    # 2 MB is far more than one send() takes: the transport must loop.
    job = b"".join([LABEL] * (2_000_000 // len(LABEL)))
    with open_printer(simulator.url, status_timeout=OK) as printer:
        printer.print(job)
    assert len(simulator.wait_for_labels(job.count(b"^XA"), timeout=20)) == job.count(b"^XA")


def test_a_printer_that_stops_reading_makes_the_send_time_out(simulator):
    simulator.set_slow(5.0)  # reads the first label, then "prints" for 5 s
    transport = TcpTransport("127.0.0.1", simulator.port, send_timeout=0.5)
    with pytest.raises(PrinterTimeout, match=r"send timed out .*bytes"):
        transport.write(b"".join([LABEL] * (8_000_000 // len(LABEL))))
    transport.close()


def test_a_closed_port_is_an_unreachable_printer():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connection refused
        with pytest.raises(PrinterUnreachable, match=f"tcp://127.0.0.1:{port}"):
            print_label(f"tcp://127.0.0.1:{port}", LABEL)


async def test_async_callers_print_through_a_thread(simulator):
    from printers.printer import print_label_async

    status = await print_label_async(simulator.url, LABEL, status_timeout=OK)
    assert status is not None and status.ready
    assert simulator.wait_for_labels(1) == [LABEL.rstrip(b"\n")]


def test_after_a_silent_status_the_next_job_uses_a_fresh_connection(simulator):
    simulator.set_fault("paper_out", silent=True)
    with open_printer(simulator.url, status_timeout=0.2) as printer:
        with pytest.raises(PrinterSilent):
            printer.status()
        simulator.clear()  # the late answer to the first ~HS would be stale now
        assert printer.print(LABEL) is not None
    assert simulator.connections == 2


def test_a_printer_that_never_accepts_the_connection_times_out_on_connect():
    # A listener whose accept queue is full drops new SYNs: the connect hangs.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        wait_until(
            lambda: select.select([], fillers, [], 0)[1], "a connection to fill the accept queue"
        )
        try:
            transport = TcpTransport("127.0.0.1", port, connect_timeout=0.3)
            with pytest.raises(PrinterTimeout, match="connect timed out"):
                transport.write(LABEL)
        finally:
            for filler in fillers:
                filler.close()


class BrokenSocket:
    """A socket whose peer went away: every send fails before taking a byte."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def send(self, data: bytes) -> int:
        self.log.append("send")
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        self.log.append("close")


def test_a_dead_kept_connection_is_replaced_only_once(monkeypatch):
    log: list[str] = []
    transport = TcpTransport("printer.invalid", 9100)

    def connect() -> BrokenSocket:
        log.append("connect")
        transport._sock = BrokenSocket(log)  # type: ignore[assignment]
        return transport._sock  # type: ignore[return-value]

    monkeypatch.setattr(transport, "_connect", connect)
    monkeypatch.setattr(transport, "_stale", lambda sock: False)
    transport._sock = BrokenSocket(log)  # type: ignore[assignment]  # kept from an earlier job
    with pytest.raises(PrinterUnreachable, match=r"tcp://printer.invalid:9100.*after 0/"):
        transport.write(LABEL)
    assert log == ["send", "close", "connect", "send", "close"]

"""The virtual printer: in-process async API, thread runner, control port and command line."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from printers.printer import print_label
from printers.simulator import PrinterSimulator, SimulatorThread
from printers.status import hs_complete, parse_host_status
from tests.support.waiting import wait_until

LABEL = b"^XA^FO10,10^A0N,30,30^FDone^FS^XZ"
OK = 10.0  # status timeout for answers that must come, even on a loaded machine


async def talk(sim: PrinterSimulator, *chunks: bytes, answers: int = 0) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0.01)
    replies = []
    for _ in range(answers):
        buffer = b""
        while not hs_complete(buffer):
            buffer += await asyncio.wait_for(reader.read(1024), 2)
        replies.append(buffer)
    writer.close()
    return replies


async def test_the_async_simulator_splits_labels_that_arrive_in_pieces():
    async with PrinterSimulator(port=0) as sim:
        stream = LABEL + b"\r\n" + LABEL.replace(b"one", b"two")
        await talk(sim, stream[:7], stream[7:40], stream[40:])
        labels = await sim.wait_for_labels(2)
    assert labels == [LABEL, LABEL.replace(b"one", b"two")]


async def test_a_status_query_is_answered_even_in_the_middle_of_a_label():
    async with PrinterSimulator(port=0) as sim:
        [reply] = await talk(sim, LABEL[:10] + b"~HS", LABEL[10:], answers=1)
        assert parse_host_status(reply).ready
        assert await sim.wait_for_labels(1) == [LABEL]


async def test_labels_received_while_paper_is_out_print_when_paper_is_loaded(tmp_path):
    async with PrinterSimulator(port=0, store=tmp_path) as sim:
        sim.set_fault("paper_out")
        [reply] = await talk(sim, LABEL + b"~HS", answers=1)
        status = parse_host_status(reply)
        assert status.paper_out and status.formats_in_buffer == 1
        assert sim.labels == []
        sim.set_fault("paper_out", on=False)
        assert sim.labels == [LABEL]
    assert (tmp_path / "000001.zpl").read_bytes() == LABEL


def test_unknown_faults_are_refused():
    with pytest.raises(ValueError):
        PrinterSimulator().set_fault("on_fire")


def http(method: str, url: str) -> dict:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_the_control_port_switches_faults_slowness_and_dropping():
    sim = SimulatorThread().start(control_port=0)
    try:
        base = f"http://127.0.0.1:{sim.control_port}"
        assert http("POST", f"{base}/fault/paper_out")["faults"] == ["paper_out"]
        assert http("POST", f"{base}/fault/head_open?silent=1")["silent"] is True
        assert http("POST", f"{base}/slow?seconds=0.5")["slow"] == 0.5
        assert http("POST", f"{base}/drop?count=2")["drop"] == 2
        cleared = http("POST", f"{base}/clear")
        assert cleared["faults"] == [] and cleared["slow"] == 0 and cleared["drop"] == 0
        assert http("GET", f"{base}/status")["labels"] == 0
        with pytest.raises(urllib.error.HTTPError):
            http("POST", f"{base}/fault/on_fire")
    finally:
        sim.stop()


def test_the_command_line_simulator_stores_what_it_prints(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "printers.simulator", "--port", "0", "--store", str(tmp_path),
         "--control-port", "0", "--paper-out"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        url = process.stdout.readline().split()[-1]
        control = process.stdout.readline().split()[-1]
        assert url.startswith("tcp://127.0.0.1:")
        assert http("GET", f"{control}/status")["faults"] == ["paper_out"]
        http("POST", f"{control}/clear")
        print_label(url, LABEL, status_timeout=OK)
        wait_until((tmp_path / "000001.zpl").exists, "the label written to the store")
        assert (tmp_path / "000001.zpl").read_bytes() == LABEL
    finally:
        process.terminate()
        process.wait(10)


async def test_the_simulator_renders_a_png_preview_of_each_label_it_prints(tmp_path):
    from printers.labels import render_tote_label
    from printers.samples import TOTE
    from tests.printers.conftest import decode

    async with PrinterSimulator(port=0, store=tmp_path, preview=True) as sim:
        await talk(sim, render_tote_label(TOTE))
        await sim.wait_for_labels(1)
        await sim.wait_for_previews()
    [png] = tmp_path.glob("000001-*.png")
    assert [b.text for b in decode(png)] == ["T-00042"]


def test_a_simulator_started_in_a_thread_keeps_labels_in_its_store(tmp_path):
    from printers.simulator import start_in_thread

    sim = start_in_thread(port=0, store=tmp_path / "printed")
    try:
        print_label(sim.url, LABEL, status_timeout=OK)
        assert sim.wait_for_labels(1) == [LABEL]
        assert (tmp_path / "printed" / "000001.zpl").read_bytes() == LABEL
    finally:
        sim.stop()

"""`make run` (`wms demo`) binds every port where the environment says, and names a taken one."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from wms.loopback import free_port, wait_until_up


def _env(tmp_path: Path, api: int, printer: int, sandbox: int) -> dict[str, str]:
    return dict(
        os.environ,
        WMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite'}",
        WMS_PORT=str(api),
        WMS_PRINTER_PORT=str(printer),
        WMS_SANDBOX_PORT=str(sandbox),
        WMS_PRINTER_STORE=str(tmp_path / "printed"),
    )


def test_the_demo_binds_every_port_its_environment_names(tmp_path):
    api, printer, sandbox = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wms.cli", "demo"],
        env=_env(tmp_path, api, printer, sandbox),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{api}"
        wait_until_up(url, timeout_s=120, proc=proc)
        with socket.create_connection(("127.0.0.1", printer), timeout=5):
            pass  # the virtual printer listens on its port
        assert httpx.post(f"http://127.0.0.1:{sandbox}/shopify/x", json={}).status_code < 500
        assert httpx.get(f"{url}/schema/openapi.json").status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    text = out.decode()
    assert f"tcp://127.0.0.1:{printer}" in text
    assert f"http://127.0.0.1:{sandbox}" in text
    # The demo's stations print, and its channels push, where the moved peers listen.
    with sqlite3.connect(tmp_path / "demo.sqlite") as conn:
        printers = {r[0] for r in conn.execute("SELECT label_printer_url FROM pack_station")}
        shops = {r[0] for r in conn.execute("SELECT api_base_url FROM channel")}
    assert printers == {f"tcp://127.0.0.1:{printer}"}
    assert shops and all(u.startswith(f"http://127.0.0.1:{sandbox}/") for u in shops)


def test_a_taken_port_is_named_in_one_line_without_a_traceback(tmp_path):
    api, printer, sandbox = free_port(), free_port(), free_port()
    for variable, port in (
        ("WMS_PRINTER_PORT", printer),
        ("WMS_SANDBOX_PORT", sandbox),
        ("WMS_PORT", api),
    ):
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", port))
            holder.listen()
            done = subprocess.run(
                [sys.executable, "-m", "wms.cli", "demo"],
                env=_env(tmp_path, api, printer, sandbox),
                capture_output=True,
                text=True,
                timeout=120,
            )
        assert done.returncode == 1
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert str(port) in lines[0] and variable in lines[0]
        assert "Traceback" not in done.stderr

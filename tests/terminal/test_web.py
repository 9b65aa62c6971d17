"""The browser page served by `wms-terminal --web` needs nothing from the internet."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient, TestServer

from terminal.web import make_server


async def test_the_served_page_loads_its_font_and_scripts_from_the_terminal_server():
    server = make_server("true", "127.0.0.1", 8010)
    app = await server._make_app()
    app.on_startup.clear()  # the page alone: no app process behind it
    app.on_shutdown.clear()
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/")).text()
        assert "googleapis" not in page and "gstatic" not in page
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
        assert all("127.0.0.1:8010" in url for url in external), external
        assert "RobotoMono-VariableFont_wght.ttf" in page
        font = await client.get("/static/fonts/RobotoMono-VariableFont_wght.ttf")
        assert font.status == 200 and len(await font.read()) > 10_000

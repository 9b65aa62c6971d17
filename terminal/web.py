"""`wms-terminal --web`: the same app in a browser through textual-serve, with no internet fonts.

textual-serve's page links Roboto Mono from fonts.googleapis.com; on a warehouse network
without internet that request stalls or fails. The page is served from a copy of its template
where that link is replaced by the same font from textual-serve's own static files.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import textual_serve
from textual_serve.server import Server

PACKAGE = Path(textual_serve.__file__).parent
STATIC = PACKAGE / "static"
LOCAL_FONT = """<style>
      @font-face { font-family: "Roboto Mono"; font-style: normal;
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf"); }
      @font-face { font-family: "Roboto Mono"; font-style: italic;
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf"); }
    </style>"""
_REMOTE = re.compile(r"<link[^>]*fonts\.googleapis\.com[^>]*>", re.S)


def offline_templates(folder: Path | None = None) -> Path:
    """A templates folder whose page loads every font from the server itself."""
    folder = folder or Path(tempfile.mkdtemp(prefix="wms-terminal-web-"))
    page = (PACKAGE / "templates" / "app_index.html").read_text()
    page = _REMOTE.sub(LOCAL_FONT, page)
    (folder / "app_index.html").write_text(page)
    return folder


def make_server(command: str, host: str, port: int) -> Server:
    return Server(
        command,
        host=host,
        port=port,
        title="WMS terminal",
        statics_path=STATIC,
        templates_path=offline_templates(),
    )


def serve(command: str, host: str, port: int) -> None:
    make_server(command, host, port).serve()

"""wms-terminal: the Textual app, its start-up (terminal, SSH or browser) and shared services."""

from __future__ import annotations

import contextlib
import shlex
import sys
from typing import Any

from textual import work
from textual.app import App

from terminal import config
from terminal.client import ApiError, FloorClient, Offline
from terminal.config import Settings
from terminal.journal import Journal
from terminal.scanner import SerialScanner
from terminal.screens.error import ErrorScreen, NoticeScreen
from terminal.widgets.panels import StatusLine

FLUSH_EVERY_S = 2.0
# Refusals by a floor bound, not by a wrong scan: their screen also gives the server's reason.
SAY_WHY = ("over_floor_limit", "ref_required", "empty_count_unconfirmed")


class TerminalApp(App[None]):
    """Holds the session (client, journal, user) that every screen uses."""

    TITLE = "WMS terminal"
    CSS = "Screen { background: $surface; }"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.client = FloorClient(settings.server, timeout_s=settings.timeout_s)
        self.journal: Journal | None = None
        self.user: dict[str, Any] | None = None
        self.online = True
        self.waiting = 0
        self.submitting = 0
        self.scanner: SerialScanner | None = None

    # -- start and stop -------------------------------------------------------
    async def on_mount(self) -> None:
        from terminal.screens.login import LoginScreen
        from terminal.screens.menu import MenuScreen

        self.journal = await Journal.open(self.settings.journal)
        self.waiting = await self.journal.waiting()
        if self.settings.scanner:
            self.scanner = SerialScanner(
                self.settings.scanner, lambda code: self.call_from_thread(self.inject_scan, code)
            ).start()
        await self.push_screen(LoginScreen())
        if await self._restore_session():
            await self.push_screen(MenuScreen())
        self.set_interval(FLUSH_EVERY_S, self._tick)
        await self.show_old_rejections()
        self.flush()

    async def _restore_session(self) -> bool:
        """The token is kept in the journal DB: a restart of either side keeps the user in."""
        assert self.journal is not None
        token = await self.journal.get("token")
        if not token:
            return False
        self.client.token = token
        try:
            self.user = await self.client.me()
            self.online = True
        except Offline:
            self.online = False
            cached = await self.journal.get("user")
            self.user = {"username": cached or "?"}
        except ApiError:
            self.client.token = None
            await self.journal.forget("token")
            return False
        return True

    async def on_unmount(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
        await self.client.aclose()

    # -- session ---------------------------------------------------------------
    async def signed_in(self, answer: dict[str, Any]) -> None:
        assert self.journal is not None
        self.user = answer["user"]
        await self.journal.put("token", answer["token"])
        await self.journal.put("user", str(answer["user"].get("username", "")))
        self.flush()  # steps kept while nobody was logged in go now

    async def sign_out(self) -> None:
        assert self.journal is not None
        # The token is dropped here either way; the server's copy expires on its own.
        with contextlib.suppress(Offline, ApiError):
            await self.client.logout()
        self.client.token = None
        self.user = None
        await self.journal.forget("token")
        await self.journal.forget("user")
        await self.journal.forget("batch")

    # -- confirmed steps ---------------------------------------------------------
    async def submit(self, path: str, body: dict[str, Any], label: str) -> None:
        """Journal the step (durable, with its key), then send it in the background."""
        assert self.journal is not None
        self.submitting += 1  # until it is in the journal, no answer may overwrite the screen
        try:
            await self.journal.add(path, body, label, token=self.client.token or "")
        finally:
            self.submitting -= 1
        self.waiting += 1
        self.refresh_status()
        self.flush()

    @work(group="flush")
    async def flush(self) -> None:
        # Not exclusive: cancelling a send half-way is safe but wasteful; the journal's lock
        # makes concurrent flushes queue up instead.
        assert self.journal is not None
        if not await self.journal.waiting():
            if not self.online:
                await self._probe()
            self.waiting = 0
            self.refresh_status()
            return
        if not self.client.token:
            return  # nobody logged in: the steps wait for the next login
        done = await self.journal.flush(self.client)
        self.online = not done.offline
        if done.unauthorized:
            await self._session_ended()
        self.waiting = await self.journal.waiting()
        self.refresh_status()
        for step in done.rejected:
            # A bound of the floor's (a receipt's reference or size) is said in the server's
            # words: the picker must know it is a rule, not a wrong scan.
            why = f"{step['detail']}\n" if step.get("code") in SAY_WHY and step["detail"] else ""
            self.show_problem(
                str(step["title"]),
                str(step.get("expected") or ""),
                f"{why}Not done: {step['label']}",
                step_id=int(step["id"]),
            )
        answers = [s["answer"] for s in done.sent]
        if answers or done.rejected:
            for screen in self.screen_stack:
                hook = getattr(screen, "journal_flushed", None)
                if hook:
                    hook(answers, bool(done.rejected))

    async def _session_ended(self) -> None:
        """The server no longer knows the token: log in again; waiting steps are kept."""
        from terminal.screens.login import LoginScreen

        assert self.journal is not None
        self.client.token = None
        await self.journal.forget("token")
        if not isinstance(self.screen, LoginScreen):
            self.push_screen(LoginScreen())
        self.show_problem("Please log in", "", f"{self.waiting} steps wait to be sent")

    async def show_old_rejections(self) -> None:
        """Refusals that arrived before the terminal was stopped are still shown once."""
        assert self.journal is not None
        for step in await self.journal.unseen_rejections():
            self.show_problem(
                str(step["title"]),
                str(step["expected"] or ""),
                f"Not done: {step['label']}",
                step_id=int(step["id"]),
            )

    async def _probe(self) -> None:
        try:
            await self.client.get("/auth/me")
            self.online = True
        except Offline:
            self.online = False
        except ApiError:
            self.online = True  # it answered: reachable, whatever it thinks of the token

    async def _tick(self) -> None:
        if self.waiting or not self.online:
            self.flush()

    def note_offline(self, offline: bool) -> None:
        self.online = not offline
        self.refresh_status()

    # -- what every screen shares ---------------------------------------------------
    def refresh_status(self) -> None:
        name = (self.user or {}).get("username") or ""
        for screen in self.screen_stack:
            for line in screen.query(StatusLine):
                line.show(str(name), self.online, self.waiting)

    def show_problem(
        self, title: str, expected: str = "", detail: str = "", step_id: int | None = None
    ) -> None:
        def seen(_: None) -> None:
            if step_id is not None and self.journal is not None:
                self.run_worker(self.journal.mark_seen(step_id))

        self.push_screen(ErrorScreen(title, expected, detail), seen)

    def show_help(self, text: str) -> None:
        self.push_screen(NoticeScreen("Help", "", text))

    async def inject_scan(self, code: str) -> None:
        """A code from the serial scanner goes where a keyboard-wedge scan would go."""
        handler = getattr(self.screen, "handle_scan", None)
        if handler is not None:
            result = handler(code)
            if hasattr(result, "__await__"):
                await result


def _serve_web(settings: Settings, argv: list[str]) -> None:
    from terminal.web import serve

    rest = [a for a in argv if a != "--web"]
    command = shlex.join([sys.executable, "-m", "terminal.app", *rest])
    serve(command, settings.web_host, settings.web_port)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = config.load(argv)
    if settings.web:
        _serve_web(settings, argv)
        return
    TerminalApp(settings).run()


if __name__ == "__main__":
    main()

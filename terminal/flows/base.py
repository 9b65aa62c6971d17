"""What every flow shares: the events it takes, the commands it returns, what it shows.

A flow imports no Textual, no HTTP and does no I/O: the screen that drives it turns keys,
scans and the server's answers into events, draws the state after each one, and runs the
commands in order (a request to send, a problem to ring, a message to show, leaving).
"""

from __future__ import annotations

from dataclasses import dataclass

from terminal import scans


# -- events ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Scan:
    """A scan or a typed entry ended by Enter ("" is Enter alone)."""

    code: str


@dataclass(frozen=True)
class Key:
    """A function key's action, by name ("short", "skip", "back", …)."""

    name: str


@dataclass(frozen=True)
class Refusal:
    """The server's problem answer, as the flow needs it (no HTTP type crosses over)."""

    code: str
    title: str
    expected: str = ""
    detail: str = ""


# -- commands ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Submit:
    """Journal a confirmed step and send it when the server can be reached."""

    path: str
    body: dict[str, object]
    label: str


@dataclass(frozen=True)
class ShowProblem:
    """The error screen (it rings the bell): a short title, the expected value, a detail."""

    title: str
    expected: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Say:
    """A message in place of the step's own text, until the next one is drawn.

    `digits` None leaves the big figure as it is.
    """

    step: str
    banner: str
    info: str = ""
    digits: str | None = None


@dataclass(frozen=True)
class NoteOnline:
    """What the last call told of the server: reachable or not (the status line shows it)."""

    online: bool


@dataclass(frozen=True)
class Leave:
    """Back to the menu."""


@dataclass(frozen=True)
class Show:
    """What the screen shows for a step: the step line, the banner, the big figure, info."""

    step: str
    banner: str
    digits: str = ""
    info: str = ""


def wrong(problem: scans.Problem) -> ShowProblem:
    """A wrong scan caught locally."""
    return ShowProblem(problem.title, problem.expected, problem.detail)


def refused(refusal: Refusal) -> ShowProblem:
    """A server's refusal: its short title, expected value, and the detail when it adds."""
    detail = refusal.detail if refusal.detail and refusal.detail != refusal.title else ""
    return ShowProblem(refusal.title, refusal.expected, detail)

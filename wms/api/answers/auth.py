"""Answers of the log-in, token and audit routes."""

from __future__ import annotations

from wms.api.answers import Answer


class Me(Answer):
    id: int
    username: str
    name: str
    role: str


class LoggedIn(Answer):
    token: str
    user: Me


class AuditLine(Answer):
    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str


class Unlocked(Answer):
    badge: str
    username: str
    failed_logins: int
    were: int  # the wrong PINs cleared


class IssuedToken(Answer):
    token: str  # shown once: only its hash is stored
    username: str

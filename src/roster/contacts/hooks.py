"""Hooks around every contact write, so that rules owned above contacts apply on every path.

Contacts imports none of the packages whose rules these are: they register their hooks at
start-up (``roster.wiring``). Before a write, each ``BeforeWrite`` may change the values to
be stored (consent's guard, GDPR's opt-outs remembered from erased contacts); after it,
each ``AfterWrite`` records what it keeps about the change in the same transaction
(consent's history) and returns rows for the contact's timeline (``own_events``), which
contacts writes with its own in one statement.

A write before ``install_done`` raises: a process that forgot ``roster.wiring.install``
must not store contacts past the consent rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Write:
    """One contact write, as the hooks see it."""

    conn: AsyncConnection
    principal: Principal
    # What made the write: "contact.create", "contact.update", "contact.merge" …, or the
    # evidence of an explicit consent change ("keyword:STOP").
    source: str
    # An explicit consent change (PUT .../preferences): the one write that may relax
    # consent; every other write may only restrict it.
    explicit_consent: bool = False
    note: str | None = None


# (write, the stored row or None for a new contact, the values to store) → values to store
BeforeWrite = Callable[[Write, Row | None, Row], Awaitable[Row]]
# (write, the row before or None, the row as stored) → rows for the contact's timeline
AfterWrite = Callable[[Write, Row | None, Row], Awaitable[list[Row]]]

_before: list[BeforeWrite] = []
_after: list[AfterWrite] = []
_installed = False


def on_before_write(hook: BeforeWrite) -> None:
    """Run ``hook`` before every contact write, after those registered before it."""
    if hook not in _before:
        _before.append(hook)


def on_after_write(hook: AfterWrite) -> None:
    """Run ``hook`` after every contact write, after those registered before it."""
    if hook not in _after:
        _after.append(hook)


def install_done() -> None:
    """Every hook is registered: contact writes may run from now on."""
    global _installed
    _installed = True


def _check() -> None:
    if not _installed:
        raise RuntimeError("contact write hooks are not installed: call roster.wiring.install()")


async def before_write(write: Write, current: Row | None, new: Row) -> Row:
    """``new`` as it may be stored, after every ``BeforeWrite`` had its say."""
    _check()
    for hook in _before:
        new = await hook(write, current, new)
    return new


async def after_write(write: Write, old: Row | None, new: Row) -> list[Row]:
    """Run every ``AfterWrite``; the timeline rows they return."""
    _check()
    rows: list[Row] = []
    for hook in _after:
        rows += await hook(write, old, new)
    return rows

"""Sending claimed deliveries: what a delivery's body is, and how many sends run at once.

At most ``webhook_concurrency`` sends are in flight, and at most
``webhook_endpoint_concurrency`` per endpoint, so a slow or dead endpoint cannot take the
slots of the others. Outcomes are kept in ``done`` for the relay's next pass to record.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import aiohttp
import orjson

from roster.config import Settings
from roster.events.outbox import render_id
from roster.kit.handoff import Slots
from roster.kit.timeutil import rfc3339, utcnow
from roster.webhooks import sender
from roster.webhooks.relay.health import DISABLED_ERROR

# A send that has taken this long no longer counts against the relay's concurrency, only
# against its endpoint's cap (seconds).
SLOW_SEND = 1.0


def payload(event_id: UUID, type_: str, created_at: datetime, data: str | None) -> bytes:
    """The body of a delivery: the event's JSON ``data`` as the database keeps it as text
    (PostgreSQL's rendering of the jsonb, SQLite's stored text), spliced in as it is, not
    decoded and encoded again for each send."""
    return b"".join(
        (
            b'{"id":"',
            render_id(event_id).encode(),
            b'","type":',
            orjson.dumps(type_),
            b',"created_at":"',
            cast(str, rfc3339(created_at)).encode(),
            b'","data":',
            b"null" if data is None else data.encode(),
            b"}",
        )
    )


def active_secrets(endpoint: dict[str, Any]) -> list[str]:
    """The endpoint's secrets a delivery is signed with: the current one, and the previous
    one until it expires."""
    found = [endpoint["secret"]]
    expires = endpoint["previous_secret_expires_at"]
    if endpoint["previous_secret"] and expires is not None and expires > utcnow():
        found.append(endpoint["previous_secret"])
    return found


class Sends:
    """The relay's sends: its HTTP session, the sending slots, each endpoint's slots, and
    the outcomes (``done``) and unsent deliveries (``released``) its next pass records."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.session: aiohttp.ClientSession | None = None
        # Sends per endpoint that have taken longer than ``SLOW_SEND``: such an endpoint
        # hangs or crawls, and its claimed deliveries are not counted on to finish soon.
        self.slow: Counter[UUID] = Counter()
        # At most ``webhook_endpoint_concurrency`` sends in flight per endpoint.
        self.endpoint_slots: dict[UUID, Slots] = {}
        # Finished sends whose outcome the next pass records (in its one transaction).
        self.done: list[tuple[dict[str, Any], sender.Outcome]] = []
        # Claimed deliveries given back unsent (their lease ran too short while they
        # waited for a slot); the next pass frees their lease.
        self.released: list[dict[str, Any]] = []
        # At most ``webhook_concurrency`` deliveries are being sent; the claimed rest waits
        # here, so sending goes on while the relay's next pass runs. A slow send gives its
        # slot back (see ``SLOW_SEND``).
        self.sending = Slots(settings.webhook_concurrency)
        # Sends holding a sending slot, in the order they started: number -> (start,
        # endpoint); and those that turned slow (gave their slot back): number -> endpoint.
        self._sends: dict[int, tuple[float, UUID]] = {}
        self._slow_sends: dict[int, UUID] = {}
        self._send_numbers = itertools.count()
        self._slow_check: asyncio.TimerHandle | None = None

    def open(self) -> None:
        s = self.settings
        self.session = sender.make_session(
            allow_private=s.webhooks_allow_private,
            # No pool-wide limit: the relay's own limits bound the connections (the
            # concurrency, plus each endpoint's cap for slow sends), and a pool-wide limit
            # would let hanging endpoints hold every connection.
            concurrency=0,
            connect_timeout=s.webhook_connect_timeout,
            timeout=s.webhook_timeout,
        )

    def stop_watching(self) -> None:
        if self._slow_check is not None:
            self._slow_check.cancel()
            self._slow_check = None

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    def forget(self, endpoint: UUID) -> None:
        """The endpoint has no claimed delivery left here: its slots go."""
        self.endpoint_slots.pop(endpoint, None)

    async def deliver(self, row: dict[str, Any]) -> None:
        """Send one claimed delivery; its outcome is recorded by the next pass."""
        if not row["enabled"]:
            self.done.append((row, sender.Outcome(None, 0, DISABLED_ERROR, final=True)))
            return
        assert self.session is not None
        endpoint = row["endpoint_id"]
        slots = self.endpoint_slots.get(endpoint)
        if slots is None:
            slots = Slots(self.settings.webhook_endpoint_concurrency)
            self.endpoint_slots[endpoint] = slots
        await slots.acquire()
        try:
            # A delivery that waited long for its endpoint (one that hangs) may have too
            # little lease left for a whole send: it is given back, not sent, so that no
            # other relay can take it over while it is still being sent here.
            if time.monotonic() > row["send_by"]:
                self.released.append(row)
                return
            body = payload(row["event_id"], row["type"], row["event_at"], row["data"])
            await self.sending.acquire()
            token = next(self._send_numbers)
            self._sends[token] = (time.monotonic(), endpoint)
            if self._slow_check is None:
                self._watch_slow_sends()
            try:
                outcome = await sender.send(
                    self.session,
                    row["url"],
                    active_secrets(row),
                    render_id(row["event_id"]),
                    body,
                    allow_private=self.settings.webhooks_allow_private,
                )
            finally:
                if self._sends.pop(token, None) is not None:
                    self.sending.release()
                else:  # counted slow meanwhile: its slot went back then
                    del self._slow_sends[token]
                    self.slow[endpoint] -= 1
                    if self.slow[endpoint] <= 0:
                        del self.slow[endpoint]
        finally:
            slots.release()
        self.done.append((row, outcome))

    def _watch_slow_sends(self) -> None:
        """Give back the sending slot of each send that has taken ``SLOW_SEND``: a hanging
        endpoint then holds only its own cap of sends, not the slots the other endpoints'
        sends need. One timer for all sends, due when the oldest one turns slow (sends start
        in order, so the oldest is the first in ``_sends``), rather than a timer per send."""
        self._slow_check = None
        now = time.monotonic()
        turned = []
        for token, (started, endpoint) in self._sends.items():
            if now - started < SLOW_SEND:
                self._slow_check = asyncio.get_running_loop().call_later(
                    started + SLOW_SEND - now, self._watch_slow_sends
                )
                break
            turned.append((token, endpoint))
        for token, endpoint in turned:
            del self._sends[token]
            self._slow_sends[token] = endpoint
            self.slow[endpoint] += 1
            self.sending.release()

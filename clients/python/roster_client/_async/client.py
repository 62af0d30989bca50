"""``AsyncRoster``: the asynchronous client."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from roster_client._async.contacts import AsyncContacts, AsyncTags
from roster_client._async.core import AsyncCore
from roster_client._async.imports import AsyncImports, AsyncJobs
from roster_client._async.resources import (
    AsyncActivities,
    AsyncApiKeys,
    AsyncConsent,
    AsyncEvents,
    AsyncFields,
    AsyncLists,
    AsyncNotes,
    AsyncSegments,
    AsyncWebhooks,
)
from roster_client._common import Retries


class AsyncRoster:
    """A client of one Roster server, for one credential (an API key or a JWT).

    ``retries`` says how connection errors, 429 and 503 are retried (:class:`Retries`);
    ``transport`` is an httpx transport to send through (a proxy, a test app);
    ``sleep`` waits between retries (``asyncio.sleep`` unless given). Use it as a context
    manager, or call ``close()`` when done."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout | float | None = None,
        retries: Retries | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        self._core = AsyncCore(
            base_url, api_key, timeout=timeout, retries=retries, transport=transport, sleep=sleep
        )
        self.contacts = AsyncContacts(self._core)
        self.tags = AsyncTags(self._core)
        self.lists = AsyncLists(self._core)
        self.segments = AsyncSegments(self._core)
        self.imports = AsyncImports(self._core)
        self.jobs = AsyncJobs(self._core)
        self.events = AsyncEvents(self._core)
        self.webhooks = AsyncWebhooks(self._core)
        self.api_keys = AsyncApiKeys(self._core)
        self.fields = AsyncFields(self._core)
        self.consent = AsyncConsent(self._core)
        self.activities = AsyncActivities(self._core)
        self.notes = AsyncNotes(self._core)

    async def close(self) -> None:
        await self._core.aclose()

    async def __aenter__(self) -> AsyncRoster:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()

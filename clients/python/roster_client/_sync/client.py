# Written by clients/python/tools/generate.py from roster_client/_async; do not edit.
"""``Roster``: the synchronous client."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from roster_client._common import Retries
from roster_client._sync.contacts import Contacts, Tags
from roster_client._sync.core import Core
from roster_client._sync.imports import Imports, Jobs
from roster_client._sync.resources import (
    Activities,
    ApiKeys,
    Consent,
    Events,
    Fields,
    Lists,
    Notes,
    Segments,
    Webhooks,
)


class Roster:
    """A client of one Roster server, for one credential (an API key or a JWT).

    ``retries`` says how connection errors, 429 and 503 are retried (:class:`Retries`);
    ``transport`` is an httpx transport to send through (a proxy, a test app);
    ``sleep`` waits between retries (``time.sleep`` unless given). Use it as a context
    manager, or call ``close()`` when done."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout | float | None = None,
        retries: Retries | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        self._core = Core(
            base_url, api_key, timeout=timeout, retries=retries, transport=transport, sleep=sleep
        )
        self.contacts = Contacts(self._core)
        self.tags = Tags(self._core)
        self.lists = Lists(self._core)
        self.segments = Segments(self._core)
        self.imports = Imports(self._core)
        self.jobs = Jobs(self._core)
        self.events = Events(self._core)
        self.webhooks = Webhooks(self._core)
        self.api_keys = ApiKeys(self._core)
        self.fields = Fields(self._core)
        self.consent = Consent(self._core)
        self.activities = Activities(self._core)
        self.notes = Notes(self._core)

    def close(self) -> None:
        self._core.close()

    def __enter__(self) -> Roster:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

# Written by clients/python/tools/generate.py from roster_client/_async; do not edit.
"""The synchronous HTTP core: retries, errors and paging over httpx.

(``roster_client/_sync`` is written from this package by clients/python/tools/generate.py.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

import httpx

from roster_client._common import (
    DEFAULT_TIMEOUT,
    RETRY_STATUSES,
    USER_AGENT,
    Call,
    Page,
    Retries,
)
from roster_client.errors import ConnectionFailed, from_response, parse_retry_after

T = TypeVar("T")


class Core:
    """Sends :class:`Call` s: a shared httpx client, the credential and the retry policy."""

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
        self.retries = retries or Retries()
        self._sleep = sleep or time.sleep
        self.http = httpx.Client(
            base_url=base_url,
            timeout=timeout or DEFAULT_TIMEOUT,
            transport=transport,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self.http.close()

    def send(self, call: Call, *, stream: bool = False) -> httpx.Response:
        """The response to ``call`` (2xx), after retries; an error answer is raised."""
        waited = 0.0
        retry = 0
        while True:
            request = self.http.build_request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                headers=call.headers,
                files=call.files,
                data=call.data,
            )
            try:
                response = self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = self.retries.delay(retry, None)
                if retry >= self.retries.max_retries or waited + delay > self.retries.max_wait:
                    raise ConnectionFailed(f"{call.method} {call.path}: {exc!r}") from exc
            else:
                if response.status_code < 400:
                    return response
                response.read()
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                delay = self.retries.delay(retry, retry_after)
                if (
                    response.status_code not in RETRY_STATUSES
                    or retry >= self.retries.max_retries
                    or waited + delay > self.retries.max_wait
                ):
                    response.close()
                    raise from_response(response)
                response.close()
            self._sleep(delay)
            waited += delay
            retry += 1

    def json(self, call: Call) -> Any:
        """The JSON body of the answer to ``call`` (``None`` for 204)."""
        response = self.send(call)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def model(self, call: Call, parse: Callable[[dict[str, Any]], T]) -> T:
        return parse(self.json(call))

    @contextmanager
    def stream(self, call: Call) -> Iterator[httpx.Response]:
        """The answer to ``call``, its body not read yet."""
        response = self.send(call, stream=True)
        try:
            yield response
        finally:
            response.close()


class Pager(Generic[T]):
    """Every item of a listing, page after page: ``for item in pager``.

    Each page asks for the next by the previous page's ``next_cursor``; the server pages by
    keys, so a row written meanwhile is never returned twice. ``pager.page()`` gives
    one page (with ``has_more``, ``next_cursor`` and ``total`` when asked for)."""

    def __init__(
        self,
        core: Core,
        call: Call,
        parse: Callable[[dict[str, Any]], T],
        *,
        cursor_in_body: bool = False,
    ) -> None:
        self._core = core
        self._call = call
        self._parse = parse
        self._cursor_in_body = cursor_in_body

    def page(self, cursor: str | None = None) -> Page[T]:
        call = self._call
        if cursor is not None and self._cursor_in_body:
            call = Call(call.method, call.path, call.params, {**call.json, "cursor": cursor})
        elif cursor is not None:
            call = Call(call.method, call.path, {**(call.params or {}), "cursor": cursor})
        elif call.method == "POST":
            call = Call(call.method, call.path, call.params, call.json)
        raw = self._core.json(call)
        return Page([self._parse(item) for item in raw["data"]], raw)

    def __iter__(self) -> Iterator[T]:
        return self._items()

    def _items(self) -> Iterator[T]:
        cursor: str | None = None
        while True:
            page = self.page(cursor)
            for item in page.data:
                yield item
            if not page.has_more or page.next_cursor is None:
                return
            cursor = page.next_cursor

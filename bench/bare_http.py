"""A bare HTTP/1.1 client for timing: one keep-alive connection, GET only, no parsing beyond
the status line and Content-Length.

B3 times the hand-written query through the bare driver, so it times Roster's page through
a client as bare: httpx costs about a millisecond of its own per page, which is the client's
time, not the server's. B3 reports httpx's figures beside these.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from urllib.parse import urlencode, urlsplit


class BareClient:
    def __init__(self, base: str, headers: dict[str, str]):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> BareClient:
        await self._connect()
        return self

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()

    async def get(self, path: str, params: dict[str, object]) -> tuple[int, bytes]:
        """(status, body) of ``GET path?params``."""
        target = f"{path}?{urlencode(params, doseq=True)}" if params else path
        request = f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}\r\n"
        for _ in range(2):
            assert self.reader is not None and self.writer is not None
            self.writer.write(request.encode("latin-1"))
            status_line = await self.reader.readline()
            if status_line:
                break
            # The server closed the idle connection (its keep-alive timeout): open another.
            self.writer.close()
            await self._connect()
        status = int(status_line.split()[1])
        length = None
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError("the bare client reads only responses with a Content-Length")
        return status, await self.reader.readexactly(length)

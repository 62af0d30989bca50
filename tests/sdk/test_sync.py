"""``Roster``, the synchronous client, against a live server on both engines: the same
calls as the asynchronous one, over a real socket."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from roster_client import NotFound, PreconditionFailed, Retries, Roster
from tests.conftest import Env
from tests.sdk.conftest import live_server

pytestmark = pytest.mark.slow


class LoseFirstAnswer(httpx.BaseTransport):
    """Sends each request over a real connection; the first POST's answer is lost on the
    way back, after the server did the work."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.posts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST":
            self.posts += 1
            if self.posts == 1:
                response.read()
                raise httpx.RemoteProtocolError("server disconnected", request=request)
        return response


def tour(url: str, key: str, csv: Path) -> None:
    with Roster(url, key, retries=Retries(backoff=0.05)) as roster:
        jane = roster.contacts.create(first_name="Jane", phone="+14155550199", tags=["vip"])
        assert roster.contacts.get(str(jane.id)).name == "Jane"
        roster.contacts.update(str(jane.id), {"company": "Acme"}, if_match=jane.version)
        with pytest.raises(PreconditionFailed):
            roster.contacts.update(str(jane.id), {"company": "Late"}, if_match=jane.version)
        for i in range(5):
            roster.contacts.create(email=f"s{i}@example.com")
        ids = [c.id for c in roster.contacts.list(limit=2)]
        assert len(ids) == len(set(ids)) == 6
        assert [r["phone"] for r in roster.contacts.export(tag="vip")] == ["+14155550199"]
        seen: list[str] = []
        job = roster.imports.create(csv)
        done = job.wait(progress=lambda state: seen.append(state["status"]), interval=0.1)
        assert (done["status"], done["created"]) == ("completed", 1) and seen[-1] == "completed"
        with pytest.raises(NotFound):
            roster.contacts.lookup(email="nobody@example.com")
    transport = LoseFirstAnswer()
    with Roster(url, key, transport=transport, retries=Retries(backoff=0.05)) as roster:
        once = roster.contacts.create(email="once@example.com")
        assert [c.id for c in roster.contacts.list(q="once@example.com")] == [once.id]
        assert transport.posts == 2


async def test_the_synchronous_client_on_a_live_server(env: Env, tmp_path: Path) -> None:
    _, key = await env.tenant()
    csv = tmp_path / "people.csv"
    csv.write_text("email,first_name\nada@example.com,Ada\n")
    with live_server(env) as url:
        await asyncio.to_thread(tour, url, key, csv)

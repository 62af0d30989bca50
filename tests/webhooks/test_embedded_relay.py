"""`roster serve` delivers webhooks by itself when its embedded relay is on (the default on
both engines): no `roster relay` process and no test driving a relay."""

from __future__ import annotations

from roster.config import Settings
from tests.conftest import make_contact
from tests.helpers.apps import app_with, client_for


def test_one_process_does_everything_unless_told_otherwise(tmp_path) -> None:
    def settings(url: str, **values: object) -> Settings:
        return Settings(database_url=url, data_dir=tmp_path, _env_file=None, **values)  # type: ignore[call-arg]

    for url in ("sqlite:///x.db", "postgresql://u@h/db"):
        assert settings(url).runs_embedded_relay and settings(url).runs_embedded_worker
        told = settings(url, embedded_relay=False, embedded_worker=False)
        assert not told.runs_embedded_relay and not told.runs_embedded_worker


async def test_the_server_delivers_its_own_and_other_processes_events(env, receiver) -> None:
    _, key = await env.tenant()
    async with (
        app_with(env, embedded_relay=True, webhooks_allow_private=True) as app,
        client_for(app, key) as http,
    ):
        made = await http.post("/v1/webhooks", json={"url": receiver.url(), "events": ["*"]})
        assert made.status_code == 201, made.text
        # An event committed by this server wakes its relay.
        mine = await make_contact(http)
        await receiver.wait_for(1)
        # An event committed elsewhere (here: the other app on the same database, as a
        # second process would) is found by the relay's polling.
        async with env.client(key) as other:
            theirs = await make_contact(other)
        await receiver.wait_for(2)
    got = [r.event["data"]["contact"]["id"] for r in receiver.received]
    assert got == [mine["id"], theirs["id"]]

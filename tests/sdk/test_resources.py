"""Every method of every resource of ``AsyncRoster``, once, against the real app on both
engines (the synchronous client is the same code, tests/sdk/test_sync.py runs it live)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from roster_client import AsyncRoster, NotFound, PreconditionFailed
from roster_client.models import Contact, ContactBatchResponse
from tests.conftest import Env
from tests.helpers.apps import app_with
from tests.sdk.conftest import sdk_for
from tests.webhooks.conftest import relay_for
from tests.webhooks.receiver import Receiver

VIP = {"field": "tags", "op": "has", "value": "vip"}


async def test_contacts(roster: AsyncRoster) -> None:
    jane = await roster.contacts.create(first_name="Jane", phone="+14155550101", tags=["vip"])
    assert isinstance(jane, Contact) and jane.phone == "+14155550101" and jane.version == 1
    assert (await roster.contacts.get(str(jane.id))).name == "Jane"
    changed = await roster.contacts.update(str(jane.id), {"company": "Acme"}, if_match=1)
    assert (changed.company, changed.version) == ("Acme", 2)
    with pytest.raises(PreconditionFailed):
        await roster.contacts.update(str(jane.id), {"company": "Other"}, if_match=1)
    assert (await roster.contacts.lookup(phone="(415) 555-0101")).id == jane.id
    upserted = await roster.contacts.upsert(phone="+14155550101", last_name="Doe")
    assert upserted.id == jane.id and upserted.name == "Jane Doe"
    batch = await roster.contacts.batch(
        [{"email": "a@example.com"}, {"email": "b@example.com"}, {"email": "nope"}], mode="create"
    )
    assert isinstance(batch, ContactBatchResponse)
    assert (batch.created, batch.failed) == (2, 1)
    listed = [c.email async for c in roster.contacts.list(sort="created_at", q="example.com")]
    assert listed == ["a@example.com", "b@example.com"]
    found = [c.id async for c in roster.contacts.search(VIP)]
    assert found == [jane.id]
    page = await roster.contacts.list(include_total=True, limit=1).page()
    assert page.total == 3 and page.has_more and len(page.data) == 1
    rows = [row async for row in roster.contacts.export(tag="vip")]
    assert [r["id"] for r in rows] == [str(jane.id)]
    assert [r["id"] async for r in roster.contacts.export(VIP)] == [str(jane.id)]
    csv = b"".join([chunk async for chunk in roster.contacts.export_bytes("csv", tag="vip")])
    assert csv.startswith(b"id,") and str(jane.id).encode() in csv
    tagged = await roster.contacts.add_tags(str(jane.id), ["gold"])
    assert tagged.tags == ["gold", "vip"]
    assert (await roster.contacts.remove_tag(str(jane.id), "gold")).tags == ["vip"]
    assert [t.tag async for t in roster.tags.list()] == ["vip"]
    twin = await roster.contacts.create(first_name="Jane", last_name="Doe", email="j@example.com")
    assert isinstance((await roster.contacts.duplicates(str(jane.id))).data, list)
    preview = await roster.contacts.merge(str(jane.id), [str(twin.id)], dry_run=True)
    assert preview.email == "j@example.com"
    merged = await roster.contacts.merge(str(jane.id), [str(twin.id)])
    assert merged.email == "j@example.com"
    held = await roster.contacts.personal_data(str(jane.id))
    assert held["contact"]["id"] == str(jane.id)
    await roster.contacts.archive(str(jane.id))
    with pytest.raises(NotFound):
        await roster.contacts.get(str(jane.id))
    assert (await roster.contacts.restore(str(jane.id))).id == jane.id
    await roster.contacts.erase(str(jane.id))
    with pytest.raises(NotFound):
        await roster.contacts.restore(str(jane.id))


async def test_lists_segments_and_bulk_actions(env: Env, key: str) -> None:
    async with app_with(env, embedded_worker=True) as app, sdk_for(app, key) as roster:
        ann = await roster.contacts.create(email="ann@example.com", tags=["vip"])
        news = await roster.lists.create("News", description="Monthly")
        assert news.name == "News" and news.member_count == 0
        added = await roster.lists.add_members(str(news.id), [str(ann.id), str(uuid.uuid4())])
        assert (added.added, len(added.not_found)) == (1, 1)
        assert [c.id async for c in roster.lists.members(str(news.id))] == [ann.id]
        assert (await roster.lists.get(str(news.id))).member_count == 1
        renamed = await roster.lists.update(str(news.id), {"name": "Newsletter"}, if_match=1)
        assert renamed.name == "Newsletter"
        assert [x.id async for x in roster.lists.list()] == [news.id]
        await roster.lists.remove_member(str(news.id), str(ann.id))
        segment = await roster.segments.create("VIPs", VIP, description="tagged vip")
        assert segment.contact_count == 1
        assert [c.id async for c in roster.segments.contacts(str(segment.id))] == [ann.id]
        assert (await roster.segments.preview(VIP)).count == 1
        assert (await roster.segments.get(str(segment.id))).name == "VIPs"
        assert (await roster.segments.update(str(segment.id), {"name": "V"})).name == "V"
        assert [s.id async for s in roster.segments.list()] == [segment.id]
        job = await roster.contacts.bulk_action(VIP, "add_to_list", {"list_id": str(news.id)})
        done = await (await roster.jobs.get(job["id"])).wait(interval=0.05, timeout=60)
        assert done["status"] == "completed"
        assert [c.id async for c in roster.lists.members(str(news.id))] == [ann.id]
        await roster.segments.delete(str(segment.id))
        await roster.lists.delete(str(news.id))
        with pytest.raises(NotFound):
            await roster.lists.get(str(news.id))


async def test_consent_activities_and_notes(roster: AsyncRoster) -> None:
    c = await roster.contacts.create(phone="+14155550102")
    cid = str(c.id)
    prefs = await roster.consent.set(cid, {"sms": "opted_out"}, source="keyword:STOP")
    assert prefs.sms == "opted_out"
    assert (await roster.consent.get(cid)).sms == "opted_out"
    assert [e.to async for e in roster.consent.history(cid)] == ["opted_out"]
    assert [o.id async for o in roster.consent.optouts(channel="sms")] == [c.id]
    sent = await roster.activities.create(cid, "message.sent", channel="sms", external_id="m1")
    assert sent.type_ == "message.sent"
    batch = await roster.activities.batch([{"phone": "+14155550102", "type": "message.read"}])
    assert batch.created == 1
    kinds = [a.type_ async for a in roster.activities.list(cid, type="message.sent")]
    assert kinds == ["message.sent"]
    note = await roster.notes.create(cid, "call back", author="ann")
    assert (await roster.notes.update(cid, str(note.id), {"body": "called"})).body == "called"
    assert [n.body async for n in roster.notes.list(cid)] == ["called"]
    await roster.notes.delete(cid, str(note.id))
    assert [n async for n in roster.notes.list(cid)] == []


async def test_admin_resources(roster: AsyncRoster) -> None:
    field = await roster.fields.create("plan", "Plan", "enum", options=["free", "pro"])
    assert field.key == "plan"
    assert [f.key for f in await roster.fields.list()] == ["plan"]
    assert (await roster.fields.get("plan")).label == "Plan"
    assert (await roster.fields.update("plan", {"label": "Tier"})).label == "Tier"
    await roster.fields.delete("plan")
    made = await roster.api_keys.create("reader", ["contacts:read"])
    assert made.key.startswith("rk_live_")
    assert (await roster.api_keys.get(str(made.id))).name == "reader"
    assert str(made.id) in [str(k.id) async for k in roster.api_keys.list()]
    await roster.api_keys.revoke(str(made.id))
    await roster.contacts.create(email="evt@example.com")
    events = [e async for e in roster.events.list(type=["contact.created"])]
    assert [e.type_ for e in events] == ["contact.created"]


async def test_imports_stream_a_file_and_wait(env: Env, key: str, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Email Address,First Name\nada@example.com,Ada\nbad,X\n")
    seen: list[str] = []
    async with app_with(env, embedded_worker=True) as app, sdk_for(app, key) as roster:
        job = await roster.imports.create(
            source, mapping={"First Name": "first_name", "Email Address": "email"}
        )
        done = await job.wait(progress=lambda state: seen.append(state["status"]), interval=0.05)
        assert (done["status"], done["created"], done["failed"]) == ("completed", 1, 1)
        assert seen[-1] == "completed"
        assert (await roster.imports.get(job.id)).status == "completed"
        assert [j["id"] async for j in roster.imports.list()] == [job.id]
        assert "row,column,error" in (await roster.imports.errors(job.id)).splitlines()[0]
        other = await roster.imports.create(source)
        cancelled = await roster.imports.cancel(other.id)
        assert cancelled["id"] == other.id


async def test_webhooks(env: Env, roster: AsyncRoster, private_ok: None) -> None:
    receiver = await Receiver().start()
    try:
        hook = await roster.webhooks.create(receiver.url(), ["contact.*"], description="crm")
        assert hook.secret.startswith("whsec_")
        assert (await roster.webhooks.get(str(hook.id))).description == "crm"
        assert (await roster.webhooks.update(str(hook.id), {"enabled": True})).enabled
        assert [w.id async for w in roster.webhooks.list()] == [hook.id]
        tested = await roster.webhooks.test(str(hook.id))
        assert tested.status_code == 200
        rotated = await roster.webhooks.rotate_secret(str(hook.id))
        assert rotated.secret != hook.secret
        await roster.contacts.create(email="hook@example.com")
        async with relay_for(env) as relay:
            await receiver.wait_for(2, relay)
            await relay.drain()
        deliveries = [d async for d in roster.webhooks.deliveries(str(hook.id))]
        assert deliveries
        retried = await roster.webhooks.retry_delivery(str(hook.id), str(deliveries[0].id))
        assert retried
        await roster.webhooks.delete(str(hook.id))
    finally:
        await receiver.stop()

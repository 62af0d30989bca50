"""The console's admin pages: API keys, webhooks, custom field definitions and the events
feed, through the API's services, for admin keys only."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from standardwebhooks import Webhook

from tests.conftest import Env, make_contact
from tests.console.helpers import post_form, signed_in, token_of
from tests.webhooks.conftest import private_ok, receiver, relay_for
from tests.webhooks.receiver import Receiver

XSS = "<script>alert(1)</script>"
_SECRET = re.compile(r'id="secret" class="secret" value="([^"]+)"')
ADMIN_PAGES = (
    "/console/admin",
    "/console/admin/keys",
    "/console/admin/keys/new",
    "/console/admin/webhooks",
    "/console/admin/webhooks/new",
    "/console/admin/fields",
    "/console/admin/fields/new",
    "/console/admin/events",
)

# The webhook tests' fixtures: a local receiver, and loopback URLs allowed.
__all__ = ["private_ok", "receiver"]


def secret_of(page: str) -> str:
    found = _SECRET.search(page)
    assert found, "the page shows no secret"
    return html.unescape(found.group(1))


async def test_keys_are_listed_created_with_the_secret_shown_once_and_revoked(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        listing = await http.get("/console/admin/keys")
        assert listing.status_code == 200
        assert "(you are signed in with it)" in listing.text
        assert key not in listing.text and key[-4:] in listing.text
        blank = await post_form(
            http, "/console/admin/keys/new", "/console/admin/keys/new", {"name": " "}
        )
        assert blank.status_code == 422
        assert 'id="e-name"' in blank.text and 'id="e-scopes"' in blank.text
        created = await post_form(
            http,
            "/console/admin/keys/new",
            "/console/admin/keys/new",
            {"name": "Reporting", "scopes": ["contacts:read"]},
        )
        assert created.status_code == 200, created.text
        assert "shown only on this page" in created.text
        secret = secret_of(created.text)
        async with env.client(secret) as api:
            assert (await api.get("/v1/contacts")).status_code == 200
            assert (await api.post("/v1/contacts", json={"email": "a@b.co"})).status_code == 403
        listing = await http.get("/console/admin/keys")
        assert "Reporting" in listing.text and secret not in listing.text
        assert secret[-4:] in listing.text
        async with env.client(key) as api:
            [made] = [
                k
                for k in (await api.get("/v1/api-keys")).json()["data"]
                if k["name"] == "Reporting"
            ]
        assert made["scopes"] == ["contacts:read"]
        confirm = await http.get(f"/console/admin/keys/{made['id']}/revoke")
        assert confirm.status_code == 200 and "stops working at once" in confirm.text
        assert secret not in confirm.text
        revoked = await http.post(
            f"/console/admin/keys/{made['id']}/revoke", data={"csrf_token": token_of(confirm.text)}
        )
        assert revoked.status_code == 303
        after = await http.get(revoked.headers["location"])
        assert "The key is revoked" in after.text and "revoked 20" in after.text
    async with env.client(secret) as api:
        assert (await api.get("/v1/contacts")).status_code == 401


async def test_a_key_named_like_a_script_shows_as_text(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        created = await post_form(
            http,
            "/console/admin/keys/new",
            "/console/admin/keys/new",
            {"name": XSS, "scopes": ["contacts:read"]},
        )
        listing = await http.get("/console/admin/keys")
    for page in (created, listing):
        assert page.status_code == 200
        assert XSS not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


@pytest.mark.parametrize("scopes", [["contacts:read"], ["contacts:read", "contacts:write"]])
async def test_keys_without_admin_get_403_and_see_no_admin_link(
    env: Env, private_ok: None, scopes: list[str]
):
    tenant_id, admin_key = await env.tenant()
    key = await env.key(tenant_id, scopes)
    async with env.client(admin_key) as api:
        hook = (
            await api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["*"]})
        ).json()
        await api.post("/v1/fields", json={"key": "plan", "label": "Plan", "type": "text"})
        own = (await api.get("/v1/api-keys")).json()["data"][0]
    async with signed_in(env, admin_key) as http:
        assert 'href="/console/admin"' in (await http.get("/console/contacts")).text
    async with signed_in(env, key) as http:
        contacts = await http.get("/console/contacts")
        assert 'href="/console/admin' not in contacts.text
        pages = [*ADMIN_PAGES, f"/console/admin/webhooks/{hook['id']}"]
        pages += [f"/console/admin/keys/{own['id']}/revoke", "/console/admin/fields/plan/edit"]
        for path in pages:
            response = await http.get(path)
            assert response.status_code == 403, path
            assert "Not allowed" in response.text and "admin" in response.text
        token = token_of(contacts.text)
        forged = {
            "/console/admin/keys/new": {"name": "Eve", "scopes": "admin"},
            f"/console/admin/keys/{own['id']}/revoke": {},
            "/console/admin/webhooks/new": {"url": "https://example.com/e", "events": "*"},
            f"/console/admin/webhooks/{hook['id']}/rotate": {},
            f"/console/admin/webhooks/{hook['id']}/test": {},
            "/console/admin/fields/new": {"key": "eve", "label": "Eve", "type": "text"},
            "/console/admin/fields/plan/edit": {"label": "Eve"},
            "/console/admin/fields/plan/delete": {},
        }
        for action, data in forged.items():
            response = await http.post(action, data={**data, "csrf_token": token})
            assert response.status_code == 403, action
        # Without the session's token a post is refused before the scope is even read.
        assert (await http.post("/console/admin/keys/new", data={"name": "x"})).status_code == 403
    async with env.client(admin_key) as api:
        assert [k["name"] for k in (await api.get("/v1/api-keys")).json()["data"]] == [
            "test",
            "t",
        ]
        assert not (await api.get(f"/v1/api-keys/{own['id']}")).json()["revoked"]
        assert len((await api.get("/v1/webhooks")).json()["data"]) == 1
        assert [f["label"] for f in (await api.get("/v1/fields")).json()["data"]] == ["Plan"]


async def test_another_tenants_ids_are_a_404_page(env: Env, private_ok: None):
    _, key = await env.tenant()
    _, other = await env.tenant()
    async with env.client(other) as api:
        hook = (
            await api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["*"]})
        ).json()
        [their_key] = (await api.get("/v1/api-keys")).json()["data"]
        await api.post("/v1/fields", json={"key": "theirs", "label": "T", "type": "text"})
    async with signed_in(env, key) as http:
        for path in (
            f"/console/admin/webhooks/{hook['id']}",
            f"/console/admin/webhooks/{uuid.uuid4()}",
            "/console/admin/webhooks/not-an-id",
            f"/console/admin/keys/{their_key['id']}/revoke",
            "/console/admin/fields/theirs/edit",
            "/console/admin/fields/theirs/delete",
            "/console/admin/fields/bad key!/edit",
        ):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text and "127.0.0.1:9" not in response.text
        token = token_of((await http.get("/console/admin/webhooks")).text)
        for action in (
            f"/console/admin/webhooks/{hook['id']}/rotate",
            f"/console/admin/webhooks/{hook['id']}/test",
            f"/console/admin/webhooks/{hook['id']}/deliveries/{uuid.uuid4()}/retry",
            f"/console/admin/keys/{their_key['id']}/revoke",
            "/console/admin/fields/theirs/delete",
        ):
            response = await http.post(action, data={"csrf_token": token})
            assert response.status_code == 404, action
    async with env.client(other) as api:
        assert not (await api.get(f"/v1/api-keys/{their_key['id']}")).json()["revoked"]
        assert (await api.get("/v1/fields/theirs")).status_code == 200


async def test_a_webhook_is_created_tested_delivered_retried_and_rotated(
    env: Env, private_ok: None, receiver: Receiver
):
    _, key = await env.tenant()
    new = "/console/admin/webhooks/new"
    async with signed_in(env, key) as http:
        empty = await http.get("/console/admin/webhooks")
        assert "No webhooks yet" in empty.text
        bad = await post_form(http, new, new, {"url": receiver.url(), "events": []})
        assert bad.status_code == 422 and 'id="e-events"' in bad.text
        bad = await post_form(http, new, new, {"url": "ftp://example.com/x", "events": ["*"]})
        assert bad.status_code == 422 and 'id="e-url"' in bad.text
        assert 'value="ftp://example.com/x"' in bad.text
        created = await post_form(
            http,
            new,
            new,
            {"url": receiver.url("/hook"), "events": ["contact.*"], "description": XSS},
        )
        assert created.status_code == 200, created.text
        secret = secret_of(created.text)
        assert secret.startswith("whsec_")
        listing = await http.get("/console/admin/webhooks")
        assert receiver.url("/hook") in listing.text and secret not in listing.text
        assert XSS not in listing.text and "&lt;script&gt;" in listing.text
        hook_id = re.search(r'href="/console/admin/webhooks/([0-9a-f-]{36})"', listing.text)
        assert hook_id
        url = f"/console/admin/webhooks/{hook_id.group(1)}"
        page = await http.get(url)
        assert "No deliveries yet" in page.text and secret not in page.text

        tested = await post_form(http, url, url + "/test", {})
        assert tested.status_code == 200
        assert "Test delivered" in tested.text and "HTTP 200" in tested.text
        [ping] = receiver.received
        assert Webhook(secret).verify(ping.body, ping.headers)["type"] == "webhook.test"

        async with env.client(key) as api:
            await make_contact(api, first_name="Hooked")
        async with relay_for(env) as relay:
            await receiver.wait_for(2, relay)
            await relay.drain()
        page = await http.get(url)
        assert '<td class="delivery-delivered">delivered</td>' in page.text
        assert "HTTP 200" in page.text
        retry = re.search(r'action="(/console/admin/webhooks/[^"]+/retry)"', page.text)
        assert retry
        retried = await http.post(retry.group(1), data={"csrf_token": token_of(page.text)})
        assert retried.status_code == 303
        page = await http.get(retried.headers["location"])
        assert "queued to be sent again" in page.text
        assert '<td class="delivery-pending">pending</td>' in page.text
        async with relay_for(env) as relay:
            await receiver.wait_for(3, relay)
            await relay.drain()
        assert (
            receiver.received[2].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
        )
        page = await http.get(url)
        assert '<td class="delivery-delivered">delivered</td>' in page.text

        rotated = await post_form(http, url, url + "/rotate", {})
        assert rotated.status_code == 200 and "shown only on this page" in rotated.text
        new_secret = secret_of(rotated.text)
        assert new_secret.startswith("whsec_") and new_secret != secret
        page = await http.get(url)
        assert "Previous secret" in page.text and new_secret not in page.text
        tested = await post_form(http, url, url + "/test", {})
        assert "Test delivered" in tested.text
        Webhook(new_secret).verify(receiver.received[-1].body, receiver.received[-1].headers)


async def test_a_failing_test_says_why(env: Env, private_ok: None, receiver: Receiver):
    receiver.answer = lambda n, r: (500, {}, 0.0)
    _, key = await env.tenant()
    async with env.client(key) as api:
        hook = (
            await api.post("/v1/webhooks", json={"url": receiver.url(), "events": ["*"]})
        ).json()
    url = f"/console/admin/webhooks/{hook['id']}"
    async with signed_in(env, key) as http:
        tested = await post_form(http, url, url + "/test", {})
    assert "Test not delivered" in tested.text and "HTTP 500" in tested.text


async def test_field_definitions_are_created_edited_and_removed(env: Env):
    _, key = await env.tenant()
    new = "/console/admin/fields/new"
    async with signed_in(env, key) as http:
        assert "No custom field definitions" in (await http.get("/console/admin/fields")).text
        bad = await post_form(
            http, new, new, {"key": "bad key", "label": "", "type": "text", "options": "a"}
        )
        assert bad.status_code == 422
        assert 'id="e-key"' in bad.text and 'id="e-label"' in bad.text
        assert 'value="bad key"' in bad.text
        options = await post_form(
            http, new, new, {"key": "size", "label": "Size", "type": "text", "options": "a"}
        )
        assert options.status_code == 422 and 'id="e-options"' in options.text
        created = await post_form(
            http, new, new, {"key": "plan", "label": "Plan", "type": "enum", "options": "free\npro"}
        )
        assert created.status_code == 303
        listing = await http.get(created.headers["location"])
        assert "custom_fields.plan" in listing.text and "is saved" in listing.text
        again = await post_form(
            http, new, new, {"key": "plan", "label": "Plan", "type": "text", "options": ""}
        )
        assert again.status_code == 422 and "exists" in again.text

        edit = "/console/admin/fields/plan/edit"
        form = await http.get(edit)
        assert "free\npro</textarea>" in form.text
        changed = await post_form(
            http, edit, edit, {"label": "Plan name", "options": "free\npro\nteam"}
        )
        assert changed.status_code == 303
        async with env.client(key) as api:
            body = (await api.get("/v1/fields/plan")).json()
            assert body["label"] == "Plan name" and body["options"] == ["free", "pro", "team"]
            await make_contact(api, custom_fields={"plan": "pro"})
        refused = await post_form(http, edit, edit, {"label": "Plan", "options": "free\nteam"})
        assert refused.status_code == 422
        assert 'id="e-options"' in refused.text and "1 live contact" in refused.text

        confirm = await http.get("/console/admin/fields/plan/delete")
        assert "Contacts keep their values" in confirm.text
        removed = await http.post(
            "/console/admin/fields/plan/delete", data={"csrf_token": token_of(confirm.text)}
        )
        assert removed.status_code == 303
    async with env.client(key) as api:
        assert (await api.get("/v1/fields/plan")).status_code == 404


async def test_the_events_feed_is_newest_first_filtered_and_paged(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        assert "No events yet" in (await http.get("/console/admin/events")).text
        async with env.client(key) as api:
            first = await make_contact(api, first_name="Firstborn")
            for n in range(50):
                await make_contact(api, first_name=f"Later{n:02d}")
        page = await http.get("/console/admin/events")
        assert page.status_code == 200
        assert page.text.count("<code>contact.created</code>") == 50
        assert page.text.index("Later49") < page.text.index("Later48")
        assert "Firstborn" not in page.text
        following = re.search(r'rel="next" href="([^"]+)"', page.text)
        assert following
        older = await http.get(html.unescape(following.group(1)))
        assert "Firstborn" in older.text and "Later49" not in older.text
        assert f'href="/console/contacts/{first["id"]}"' in older.text
        assert 'rel="next"' not in older.text
        filtered = await http.get("/console/admin/events", params={"type": "list.*"})
        assert "No list.* events" in filtered.text
        chosen = await http.get("/console/admin/events", params={"type": "contact.*"})
        assert "Later49" in chosen.text
        bad = await http.get("/console/admin/events", params={"type": "Not A Type"})
        assert bad.status_code == 400


async def test_revoking_the_key_you_are_signed_in_with_signs_you_out(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        [own] = (await api.get("/v1/api-keys")).json()["data"]
    async with signed_in(env, key) as http:
        confirm = await http.get(f"/console/admin/keys/{own['id']}/revoke")
        assert "You are signed in with this key" in confirm.text
        revoked = await http.post(
            f"/console/admin/keys/{own['id']}/revoke", data={"csrf_token": token_of(confirm.text)}
        )
        assert revoked.status_code == 303
        after = await http.get(revoked.headers["location"])
        assert after.status_code == 303
        assert after.headers["location"].startswith("/console/sign-in")


async def test_deliveries_are_paged_newest_first(env: Env, private_ok: None, receiver: Receiver):
    _, key = await env.tenant()
    async with env.client(key) as api:
        hook = (
            await api.post(
                "/v1/webhooks", json={"url": receiver.url(), "events": ["contact.created"]}
            )
        ).json()
        for n in range(26):
            await make_contact(api, first_name=f"P{n}")
    url = f"/console/admin/webhooks/{hook['id']}"
    async with signed_in(env, key) as http:
        # Reading the feed numbers the events, which queues their deliveries.
        assert (await http.get("/console/admin/events")).status_code == 200
        first = await http.get(url)
        assert first.text.count('<td class="delivery-pending">pending</td>') == 25
        following = re.search(r'rel="next" href="([^"]+)"', first.text)
        assert following
        second = await http.get(html.unescape(following.group(1)))
        assert second.text.count('<td class="delivery-pending">pending</td>') == 1
        assert 'rel="next"' not in second.text
        ids = re.findall(r"<th scope=\"row\"><code>(evt_[0-9a-z]+)</code>", first.text)
        last = re.findall(r"<th scope=\"row\"><code>(evt_[0-9a-z]+)</code>", second.text)
        assert len(set(ids + last)) == 26
    async with env.client(key) as api:
        # No relay of a later test should try to deliver these.
        assert (await api.delete(f"/v1/webhooks/{hook['id']}")).status_code == 204

"""Console pages: the security headers, escaping, scopes, tenants and error pages."""

from __future__ import annotations

import re
import uuid

from tests.conftest import Env, make_contact
from tests.console.helpers import browser, post_form, signed_in, token_of

XSS = "<script>alert(1)</script>"


async def test_every_page_forbids_inline_script(env: Env):
    _, key = await env.tenant()
    async with browser(env.app) as anonymous:
        sign_in = await anonymous.get("/console/sign-in")
    async with signed_in(env, key) as http:
        pages = [sign_in, await http.get("/console/contacts"), await http.get("/console/nowhere")]
    for page in pages:
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        # Every script is a file Roster serves; none is written into the page.
        assert re.findall(r"<script[^>]*>", page.text) == [
            '<script src="/console/static/htmx-2.0.4.min.js" defer>'
        ]
        assert '<link rel="icon" href="/console/static/favicon.svg"' in page.text
        assert "<title>" in page.text


async def test_the_static_files_are_served_by_roster(env: Env):
    async with browser(env.app) as http:
        script = await http.get("/console/static/htmx-2.0.4.min.js")
        icon = await http.get("/console/static/favicon.svg")
        style = await http.get("/console/static/console.css")
    assert script.status_code == icon.status_code == style.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.text.startswith("var htmx=")


async def test_a_contact_named_like_a_script_shows_as_text(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api, first_name=XSS, company=XSS, tags=["<b>x</b>"])
    async with signed_in(env, key) as http:
        listing = await http.get("/console/contacts")
        page = await http.get(f"/console/contacts/{contact['id']}")
        found = await http.get("/console/contacts", params={"q": XSS})
    for response in (listing, page):
        assert response.status_code == 200
        assert XSS not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        assert "<b>x</b>" not in response.text
    assert XSS not in found.text


async def test_another_tenants_contact_is_a_404_page(env: Env):
    _, key = await env.tenant()
    _, other_key = await env.tenant()
    async with env.client(other_key) as api:
        theirs = await make_contact(api, first_name="Theirs")
    async with signed_in(env, key) as http:
        for path in (
            f"/console/contacts/{theirs['id']}",
            f"/console/contacts/{theirs['id']}/edit",
            f"/console/contacts/{theirs['id']}/erase",
            f"/console/contacts/{uuid.uuid4()}",
            "/console/contacts/not-an-id",
            "/console/no/such/page",
        ):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "text/html" in response.headers["content-type"]
            assert "Page not found" in response.text
            assert "Theirs" not in response.text
        forged = await post_form(
            http,
            "/console/contacts",
            f"/console/contacts/{theirs['id']}/archive",
            {},
        )
        assert forged.status_code == 404
    async with env.client(other_key) as api:
        assert (await api.get(f"/v1/contacts/{theirs['id']}")).status_code == 200


async def test_a_read_only_key_sees_no_write_controls_and_cannot_write(env: Env):
    tenant_id, admin = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with env.client(admin) as api:
        contact = await make_contact(api, first_name="Rita")
    async with signed_in(env, reader) as http:
        listing = await http.get("/console/contacts")
        page = await http.get(f"/console/contacts/{contact['id']}")
        assert listing.status_code == page.status_code == 200
        assert "Rita" in listing.text
        for html in (listing.text, page.text):
            assert "New contact" not in html
            assert "/archive" not in html and "/edit" not in html and "/consent" not in html
            assert "/tags" not in html and "Add note" not in html
        assert "read only" in listing.text
        assert (await http.get("/console/contacts/new")).status_code == 403
        token = token_of(page.text)  # the sign-out form's: the session's own token
        forged = [
            await http.post(
                "/console/contacts/new",
                data={"csrf_token": token, "first_name": "Eve", "email": "eve@example.com"},
            ),
            await http.post(
                f"/console/contacts/{contact['id']}/edit",
                data={"csrf_token": token, "first_name": "Eve"},
            ),
            await http.post(
                f"/console/contacts/{contact['id']}/consent",
                data={"csrf_token": token, "channel": "sms", "state": "opted_out", "source": "x"},
            ),
            await http.post(f"/console/contacts/{contact['id']}/erase", data={"csrf_token": token}),
        ]
        for response in forged:
            assert response.status_code == 403
            assert "Not allowed" in response.text
            assert "contacts:write" in response.text
    async with env.client(admin) as api:
        body = (await api.get(f"/v1/contacts/{contact['id']}")).json()
        assert body["first_name"] == "Rita" and body["preferences"]["sms"] == "unknown"
        assert (await api.get("/v1/contacts", params={"q": "Eve"})).json()["data"] == []


async def test_a_form_field_over_the_limit_is_refused(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        response = await post_form(
            http, "/console/contacts/new", "/console/contacts/new", {"first_name": "x" * 10_001}
        )
    assert response.status_code == 400
    assert "longer than" in response.text

"""The console's import pages: upload, progress (the block htmx polls), failed rows,
cancel; the same job as POST /v1/imports."""

from __future__ import annotations

import json
import re

from tests.conftest import Env
from tests.console.helpers import signed_in, token_of
from tests.helpers.jobs import upload, wait_job

CSV = "first_name,phone,email\nAda,+14155550101,ada@example.com\nBob,12,bob@example.com\n"


async def _send(http, content: str, name: str = "people.csv"):
    """Step 1: upload the file; the answer sends the browser to the column review."""
    page = await http.get("/console/imports/new")
    assert page.status_code == 200
    return await http.post(
        "/console/imports/new",
        data={"csrf_token": token_of(page.text)},
        files={"file": (name, content, "text/csv")},
    )


async def _review(http, content: str, name: str = "people.csv"):
    sent = await _send(http, content, name)
    assert sent.status_code == 303, sent.text
    review = sent.headers["location"]
    page = await http.get(review)
    assert page.status_code == 200, page.text
    return review, page.text


def _selected(page: str) -> dict[str, str]:
    """Each column select's chosen field, as the review page shows it."""
    found = {}
    for select in re.finditer(r'<select id="(column_\d+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(2))
        found[select.group(1)] = chosen.group(1) if chosen else ""
    return found


async def _upload(http, content: str, **fields: str):
    """Both steps with the detected mapping (changed by ``column_<i>`` fields)."""
    review, page = await _review(http, content)
    data = {**_selected(page), "csrf_token": token_of(page), "mode": "upsert", "match_on": ""}
    return await http.post(review, data={**data, **fields})


async def test_an_import_runs_to_the_end_and_reports_failed_rows(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        empty = await http.get("/console/imports")
        assert "No imports yet" in empty.text
        started = await _upload(http, CSV, tags="imported")
        assert started.status_code == 303, started.text
        url = started.headers["location"]
        import_id = url.rsplit("/", 1)[1]
        page = await http.get(url)
        assert "Import of people.csv" in page.text and "<progress" in page.text
        async with env.client(key) as api:
            await wait_job(env, api, f"/v1/imports/{import_id}")
        progress = await http.get(url + "/progress")
        assert progress.text.startswith('<div id="progress"')
        # Finished: the block no longer asks htmx to poll it.
        assert "hx-trigger" not in progress.text
        assert "100 %" in progress.text and "completed" in progress.text
        assert re.search(r'class="created">1<', progress.text)
        assert re.search(r'class="failed">1<', progress.text)
        errors = await http.get(url + "/errors")
        assert errors.status_code == 200 and errors.headers["content-type"].startswith("text/csv")
        assert "Bob" in errors.text and "phone" in errors.text
        listing = await http.get("/console/imports")
        assert "people.csv" in listing.text
        contacts = await http.get("/console/contacts", params={"tag": "imported"})
        assert "Ada" in contacts.text


async def test_a_running_import_is_polled_and_can_be_cancelled(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        started = await _upload(http, CSV)
        url = started.headers["location"]
        progress = await http.get(url + "/progress")
        assert 'hx-trigger="every 1s"' in progress.text and "queued" in progress.text
        cancelled = await http.post(url + "/cancel", data={"csrf_token": token_of(progress.text)})
        assert cancelled.status_code == 303
        assert "cancelled" in (await http.get(url + "/progress")).text


async def test_a_file_without_identifiers_is_refused_with_the_reason(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        response = await _upload(http, "first_name\nAda\n")
        assert response.status_code == 422
        assert "no column holds an identifier" in response.text
        empty = await _send(http, "")
        assert empty.status_code == 422 and "the file is empty" in empty.text


async def test_an_upload_needs_the_csrf_token_and_write_scope(env: Env):
    tenant_id, key = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with signed_in(env, key) as http:
        response = await http.post(
            "/console/imports/new",
            data={"csrf_token": "wrong"},
            files={"file": ("people.csv", CSV, "text/csv")},
        )
        assert response.status_code == 403
        assert "No imports yet" in (await http.get("/console/imports")).text
    async with signed_in(env, reader) as http:
        token = token_of((await http.get("/console/imports")).text)
        response = await http.post(
            "/console/imports/new",
            data={"csrf_token": token},
            files={"file": ("people.csv", CSV, "text/csv")},
        )
        assert response.status_code == 403
        assert "Import a CSV" not in (await http.get("/console/imports")).text
        assert (await http.get("/console/imports/new")).status_code == 403


async def test_another_tenants_import_is_a_404_page(env: Env):
    _, key = await env.tenant()
    _, other = await env.tenant()
    async with signed_in(env, other) as http:
        theirs = (await _upload(http, CSV)).headers["location"]
    async with signed_in(env, key) as http:
        for path in (theirs, theirs + "/progress", theirs + "/errors"):
            response = await http.get(path)
            assert response.status_code == 404 and "Page not found" in response.text


async def test_the_reviewed_mapping_is_the_one_the_import_uses(env: Env):
    """A column the detection leaves out is sent to a custom field, a detected one is
    ignored; the contact gets exactly that."""
    _, key = await env.tenant()
    content = "Mobile,Plan type,Company\n+14155550123,gold,Acme\n"
    async with signed_in(env, key) as http:
        review, page = await _review(http, content)
        assert "Check the columns of people.csv" in page
        chosen = _selected(page)
        # Detected by name: Mobile is a phone, Company a company; Plan type is not known.
        assert chosen == {"column_0": "phone", "column_1": "skip", "column_2": "company"}
        assert 'value="custom_fields.plan_type"' in page
        started = await http.post(
            review,
            data={
                "csrf_token": token_of(page),
                "column_0": "phone",
                "column_1": "custom_fields.plan_type",
                "column_2": "skip",
                "mode": "upsert",
                "tags": "reviewed",
            },
        )
        assert started.status_code == 303, started.text
        url = started.headers["location"]
        shown = await http.get(url)
        assert "custom_fields.plan_type" in shown.text
        # The waiting upload is gone once its import started.
        assert (await http.get(review)).status_code == 404
    async with env.client(key) as api:
        await wait_job(env, api, f"/v1/imports/{url.rsplit('/', 1)[1]}")
        found = (await api.get("/v1/contacts", params={"q": "+14155550123"})).json()
    [contact] = found["data"]
    assert contact["custom_fields"] == {"plan_type": "gold"}
    assert contact["company"] is None and contact["tags"] == ["reviewed"]


async def test_a_bad_mapping_is_reported_beside_its_column(env: Env):
    _, key = await env.tenant()
    content = "email,other email,phone\na@example.com,b@example.com,+14155550124\n"
    async with signed_in(env, key) as http:
        review, page = await _review(http, content)
        token = token_of(page)
        twice = await http.post(
            review,
            data={"csrf_token": token, "column_0": "email", "column_1": "email"},
        )
        assert twice.status_code == 422
        # The message sits in the second column's row, and the choices are kept.
        row = re.search(r'<tr class="invalid">(.*?)</tr>', twice.text, re.S)
        assert row and "other email" in row.group(1)
        assert "column &#39;email&#39; is mapped to email too" in row.group(1)
        assert _selected(twice.text)["column_1"] == "email"
        unknown = await http.post(
            review, data={"csrf_token": token, "column_0": "email", "column_1": "favourite"}
        )
        assert unknown.status_code == 422
        assert "unknown field &#39;favourite&#39;" in unknown.text
        # Nothing was queued; the file still waits and can be fixed, then started.
        assert "No imports yet" in (await http.get("/console/imports")).text
        fixed = await http.post(
            review,
            data={"csrf_token": token, "column_0": "email", "column_1": "custom_fields.email2"},
        )
        assert fixed.status_code == 303, fixed.text
    async with env.client(key) as api:
        # The API refuses the same mapping, with the same message.
        response = await upload(
            api, content, mapping=json.dumps({"email": "email", "other email": "email"})
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "mapping.other email", "message": "column 'email' is mapped to email too"}
        ]


async def test_a_waiting_upload_is_the_tenants_own_and_can_be_discarded(env: Env):
    _, key = await env.tenant()
    _, other = await env.tenant()
    async with signed_in(env, key) as http:
        review, page = await _review(http, CSV)
    async with signed_in(env, other) as http:
        response = await http.get(review)
        assert response.status_code == 404 and "Page not found" in response.text
        page_of_other = (await http.get("/console/imports")).text
        forged = await http.post(review, data={"csrf_token": token_of(page_of_other)})
        assert forged.status_code == 404
        assert (await http.get("/console/imports/review/not-a-token")).status_code == 404
    async with signed_in(env, key) as http:
        page = (await http.get(review)).text
        discarded = await http.post(review + "/discard", data={"csrf_token": token_of(page)})
        assert discarded.status_code == 303
        assert (await http.get(review)).status_code == 404

"""The console's import pages: upload, progress (the block htmx polls), failed rows,
cancel; the same job as POST /v1/imports."""

from __future__ import annotations

import re

from tests.conftest import Env
from tests.console.helpers import signed_in, token_of
from tests.helpers.jobs import wait_job

CSV = "first_name,phone,email\nAda,+14155550101,ada@example.com\nBob,12,bob@example.com\n"


async def _upload(http, content: str, **fields: str):
    page = await http.get("/console/imports/new")
    assert page.status_code == 200
    data = {"csrf_token": token_of(page.text), "mode": "upsert", "match_on": "", **fields}
    return await http.post(
        "/console/imports/new", data=data, files={"file": ("people.csv", content, "text/csv")}
    )


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
        bad = await _upload(http, CSV, mapping="[1]")
        assert bad.status_code == 422 and "must be a JSON object" in bad.text


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


async def test_another_tenants_import_is_a_404_page(env: Env):
    _, key = await env.tenant()
    _, other = await env.tenant()
    async with signed_in(env, other) as http:
        theirs = (await _upload(http, CSV)).headers["location"]
    async with signed_in(env, key) as http:
        for path in (theirs, theirs + "/progress", theirs + "/errors"):
            response = await http.get(path)
            assert response.status_code == 404 and "Page not found" in response.text

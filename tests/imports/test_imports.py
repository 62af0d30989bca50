"""CSV imports end to end on both engines: mapping, modes, counts, the error file."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from roster.auth.principal import Principal, authenticate
from roster.imports import service
from roster.imports.upload import Upload
from roster.kit.db import transaction
from roster.worker import queue
from roster.worker.runner import Worker
from tests.conftest import Env, make_contact
from tests.helpers.jobs import all_contacts, import_csv, upload, wait_job


async def test_import_maps_crm_headers_and_reports_progress(
    env: Env, client: httpx.AsyncClient
) -> None:
    content = (
        "First Name,Last Name,Email Address,Mobile Phone,Company,TAGS,Favourite,Score\n"
        'Ada,Lovelace,ada@example.com,+44 20 7946 0958,Engines,"vip,math",x,1\n'
        "Alan,Turing,alan@example.com,(415) 555-0100,Bletchley,,y,2\n"
        "Bad,Phone,bad@example.com,12,Nope,,z,3\n"
    )
    job = await import_csv(env, client, content, tags="imported", default_country="US")
    assert job["status"] == "completed", job
    assert (job["total_rows"], job["processed_rows"]) == (3, 3)
    assert (job["created"], job["updated"], job["failed"], job["skipped"]) == (2, 0, 1, 0)
    assert job["mapping"] == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email Address": "email",
        "Mobile Phone": "phone",
        "Company": "company",
        "TAGS": "tags",
    }
    assert job["unmapped_columns"] == ["Favourite", "Score"]
    people = {p["email"]: p for p in await all_contacts(client)}
    assert people["ada@example.com"]["phone"] == "+442079460958"
    assert people["ada@example.com"]["tags"] == ["imported", "math", "vip"]
    assert people["alan@example.com"]["phone"] == "+14155550100"
    assert people["alan@example.com"]["source"] == "api"
    errors = await client.get(job["errors_url"])
    assert errors.status_code == 200 and errors.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(errors.text)))
    assert lines[0][:4] == ["row", "column", "error", "First Name"]
    assert lines[1][:3] == ["4", "Mobile Phone", "not a valid phone number"]
    assert lines[1][3:] == ["Bad", "Phone", "bad@example.com", "12", "Nope", "", "z", "3"]
    listed = (await client.get("/v1/imports")).json()["data"]
    assert [i["id"] for i in listed] == [job["id"]]
    again = (await client.get(f"/v1/jobs/{job['id']}")).json()
    assert again["kind"] == "import" and again["status"] == "completed"


async def test_google_outlook_and_explicit_mapping(env: Env, client: httpx.AsyncClient) -> None:
    google = (
        "Given Name,Family Name,E-mail 1 - Value,E-mail 2 - Value,Phone 1 - Value,"
        "Organization 1 - Name\n"
        "Grace,Hopper,grace@example.com,other@example.com,+1 415 555 0111,Navy\n"
    )
    job = await import_csv(env, client, google)
    assert job["status"] == "completed" and job["created"] == 1
    assert job["mapping"]["E-mail 1 - Value"] == "email"
    assert "E-mail 2 - Value" not in job["mapping"]
    (person,) = await all_contacts(client)
    assert (person["first_name"], person["company"], person["email"]) == (
        "Grace",
        "Navy",
        "grace@example.com",
    )
    mapping = {"Who": "email", "Where": "custom_fields.city", "Chan": "handles.telegram"}
    job = await import_csv(
        env,
        client,
        "Who,Where,Chan,Ignored\nx@example.com,Oslo,@Xy,1\n",
        mapping=json.dumps(mapping),
    )
    assert job["status"] == "completed" and job["created"] == 1
    people = {p["email"]: p for p in await all_contacts(client)}
    assert people["x@example.com"]["custom_fields"] == {"city": "Oslo"}
    assert people["x@example.com"]["handles"]["telegram"] == "xy"


async def test_modes_and_match_on(env: Env, client: httpx.AsyncClient) -> None:
    existing = await make_contact(client, phone="+14155550120", first_name="Before")
    content = "phone,first_name\n+14155550120,After\n+14155550121,New\n"
    job = await import_csv(env, client, content, mode="update_only", match_on="phone")
    assert (job["updated"], job["skipped"], job["created"]) == (1, 1, 0)
    assert (await client.get(f"/v1/contacts/{existing['id']}")).json()["first_name"] == "After"
    job = await import_csv(env, client, content, mode="create")
    assert (job["created"], job["failed"]) == (1, 1)
    lines = list(csv.reader(io.StringIO((await client.get(job["errors_url"])).text)))
    assert lines[1][1] == "phone" and "already used" in lines[1][2]
    job = await import_csv(env, client, content)  # upsert by default: both rows as stored
    assert (job["updated"], job["skipped"], job["created"]) == (0, 2, 0)


async def test_rows_that_change_nothing_are_skipped(env: Env, client: httpx.AsyncClient) -> None:
    # A row that matches a contact and would write nothing new is not an update: the
    # contact keeps its version, and the job counts the row in `skipped`.
    content = "email,first_name,tags\nada@example.com,Ada,vip\nbob@example.com,Bob,\n"
    job = await import_csv(env, client, content, tags="imported")
    assert (job["created"], job["updated"], job["skipped"], job["failed"]) == (2, 0, 0, 0)
    again = await import_csv(env, client, content, tags="imported")
    assert (again["created"], again["updated"], again["skipped"], again["failed"]) == (0, 0, 2, 0)
    changed = "email,first_name,tags\nada@example.com,Ada,vip\nbob@example.com,Robert,\n"
    third = await import_csv(env, client, changed, tags="imported")
    assert (third["created"], third["updated"], third["skipped"]) == (0, 1, 1)
    versions = {p["email"]: p["version"] for p in await all_contacts(client)}
    assert versions == {"ada@example.com": 1, "bob@example.com": 2}
    # The same person twice, the second row as the first left it: created, then skipped.
    twice = "email,first_name\ncy@example.com,Cy\ncy@example.com,Cy\n"
    job = await import_csv(env, client, twice)
    assert (job["created"], job["updated"], job["skipped"]) == (1, 0, 1)


async def test_same_person_twice_later_row_wins(env: Env, client: httpx.AsyncClient) -> None:
    content = (
        "email,first_name,last_name,tags\n"
        "twice@example.com,First,Version,a\n"
        "other@example.com,Other,,\n"
        "TWICE@example.com,Second,,b\n"
    )
    job = await import_csv(env, client, content)
    assert (job["created"], job["updated"], job["failed"]) == (2, 1, 0)
    people = {p["email"].lower(): p for p in await all_contacts(client)}
    assert len(people) == 2
    twice = people["twice@example.com"]
    assert (twice["first_name"], twice["last_name"], twice["tags"]) == ("Second", "Version", ["b"])


async def test_cancel_running_import_keeps_committed_chunks(
    env: Env, client: httpx.AsyncClient
) -> None:
    rows = env.settings.import_chunk_rows + 500
    content = "email\n" + "".join(f"c{i}@example.com\n" for i in range(rows))
    path = env.settings.data_dir / "cancel-test.csv"
    path.write_text(content)
    principal = await _principal(client, env)
    found = Upload(path=path, filename="c.csv", size=len(content), newlines=rows + 1)
    async with transaction(env.app.state.engine, write=True) as conn:
        # Queued and claimed in one transaction: no other worker can take it first.
        job_id = str((await service.start(conn, principal, found, default_region="US"))["id"])
        job = await queue.claim(conn, "test-worker", stale_after=60, max_attempts=5)
    while job is not None and str(job["id"]) != job_id:  # another test's job: run it
        await Worker(env.app.state.engine, env.settings, "test-worker").run_job(job)
        async with transaction(env.app.state.engine, write=True) as conn:
            job = await queue.claim(conn, "test-worker", stale_after=60, max_attempts=5)
    assert job is not None
    response = await client.post(f"/v1/imports/{job_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "running"
    await Worker(env.app.state.engine, env.settings, "test-worker").run_job(job)
    final = (await client.get(f"/v1/imports/{job_id}")).json()
    assert final["status"] == "cancelled"
    assert final["processed_rows"] == final["created"] == env.settings.import_chunk_rows
    assert len(await all_contacts(client)) == env.settings.import_chunk_rows
    again = (await client.post(f"/v1/imports/{job_id}/cancel")).json()
    assert again["status"] == "cancelled"


async def _principal(client: httpx.AsyncClient, env: Env) -> Principal:
    token = client.headers["authorization"].split()[1]
    return await authenticate(env.app.state.engine, f"Bearer {token}")


async def test_imports_are_tenant_scoped(env: Env, client: httpx.AsyncClient) -> None:
    job = await import_csv(env, client, "email\nmine@example.com\n")
    _, key = await env.tenant()
    async with env.client(key) as other:
        assert (await other.get(f"/v1/imports/{job['id']}")).status_code == 404
        assert (await other.get(f"/v1/imports/{job['id']}/errors")).status_code == 404
        assert (await other.post(f"/v1/imports/{job['id']}/cancel")).status_code == 404
        assert (await other.get(f"/v1/jobs/{job['id']}")).status_code == 404
        assert (await other.get("/v1/imports")).json()["data"] == []


@pytest.mark.parametrize(
    ("uploaded", "plain", "exact"),
    [
        ("people.csv", "people-errors.csv", None),
        (
            "Контакты май.csv",
            "________ ___-errors.csv",
            "%D0%9A%D0%BE%D0%BD%D1%82%D0%B0%D0%BA%D1%82%D1%8B%20%D0%BC%D0%B0%D0%B9-errors.csv",
        ),
    ],
)
async def test_the_failed_rows_download_keeps_the_uploaded_name(
    env: Env, client: httpx.AsyncClient, uploaded: str, plain: str, exact: str | None
) -> None:
    response = await upload(client, "email\nnot-an-email\n", name=uploaded)
    assert response.status_code == 202, response.text
    job = await wait_job(env, client, f"/v1/imports/{response.json()['id']}")
    errors = await client.get(f"/v1/imports/{job['id']}/errors")
    assert errors.status_code == 200
    disposition = errors.headers["content-disposition"]
    assert f'filename="{plain}"' in disposition
    if exact is None:
        assert "filename*" not in disposition
    else:
        assert disposition.endswith(f"filename*=UTF-8''{exact}")
    assert "not-an-email" in errors.text

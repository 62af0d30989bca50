"""Bad input to imports, each a test, on both engines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import httpx

from roster.app import create_app
from tests.conftest import Env
from tests.helpers.jobs import all_contacts, import_csv, upload


async def _no_job_started(http: httpx.AsyncClient) -> None:
    assert (await http.get("/v1/imports")).json()["data"] == []


async def _field_error(response: httpx.Response, field: str) -> str:
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors[0]["field"] == field, errors
    return str(errors[0]["message"])


async def test_empty_file(client: httpx.AsyncClient) -> None:
    assert "empty" in await _field_error(await upload(client, b""), "file")
    assert "empty" in await _field_error(await upload(client, b"\xef\xbb\xbf"), "file")
    await _no_job_started(client)


async def test_header_only(env: Env, client: httpx.AsyncClient) -> None:
    job = await import_csv(env, client, "email,first_name\n")
    assert job["status"] == "completed"
    assert (job["total_rows"], job["processed_rows"], job["created"]) == (0, 0, 0)


async def test_no_identifier_column(client: httpx.AsyncClient) -> None:
    response = await upload(client, "First Name,Company\nAda,Engines\n")
    assert "identifier" in await _field_error(response, "mapping")
    await _no_job_started(client)


async def test_mapping_names_unknown_field(client: httpx.AsyncClient) -> None:
    mapping = json.dumps({"mail": "email", "x": "favourite_colour"})
    response = await upload(client, "mail,x\na@example.com,blue\n", mapping=mapping)
    assert "unknown field" in await _field_error(response, "mapping.x")
    response = await upload(client, "mail\na@example.com\n", mapping=json.dumps({"nope": "email"}))
    assert "no such column" in await _field_error(response, "mapping.nope")
    response = await upload(client, "mail\na@example.com\n", mapping="[1]")
    await _field_error(response, "mapping")
    response = await upload(client, "email\na@example.com\n", mode="merge")
    await _field_error(response, "mode")
    await _no_job_started(client)


async def test_binary_file(client: httpx.AsyncClient) -> None:
    blob = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    assert "NUL" in await _field_error(await upload(client, blob, name="p.png"), "file")
    await _no_job_started(client)


async def test_wrong_encoding_falls_back_to_latin1(env: Env, client: httpx.AsyncClient) -> None:
    content = "email;first_name;last_name\nzoe@example.com;Zoë;Müller\n".encode("latin-1")
    job = await import_csv(env, client, content)
    assert job["status"] == "completed" and job["created"] == 1
    assert (job["encoding"], job["delimiter"]) == ("latin-1", ";")
    (person,) = await all_contacts(client)
    assert (person["first_name"], person["last_name"]) == ("Zoë", "Müller")


async def test_utf8_with_bom_and_tabs(env: Env, client: httpx.AsyncClient) -> None:
    content = "\ufeffEmail\tName\nbom@example.com\tJosé\n".encode()
    job = await import_csv(env, client, content)
    assert (job["encoding"], job["delimiter"], job["created"]) == ("utf-8", "\t", 1)
    assert job["mapping"] == {"Email": "email", "Name": "name"}
    (person,) = await all_contacts(client)
    assert person["name"] == "José"


async def test_ragged_rows(env: Env, client: httpx.AsyncClient) -> None:
    content = (
        "email,first_name,last_name\n"
        "short@example.com,Short\n"
        "long@example.com,Long,Row,extra\n"
        "ok@example.com,Ok,Row\n"
    )
    job = await import_csv(env, client, content)
    assert (job["created"], job["failed"]) == (2, 1)
    lines = list(csv.reader(io.StringIO((await client.get(job["errors_url"])).text)))
    assert lines[1][:3] == ["3", "", "the row has 4 cells but the header has 3"]
    assert lines[1][3:] == ["long@example.com", "Long", "Row", "extra"]


async def test_ten_megabyte_line(env: Env, client: httpx.AsyncClient) -> None:
    content = (
        b"email,first_name\n"
        b"before@example.com,A\n"
        + b"huge@example.com,"
        + b"x" * (10 * 1024 * 1024)
        + b"\n"
        + b"after@example.com,B\n"
    )
    job = await import_csv(env, client, content)
    assert (job["processed_rows"], job["created"], job["failed"]) == (3, 2, 1)
    lines = list(csv.reader(io.StringIO((await client.get(job["errors_url"])).text)))
    assert lines[1][0] == "3" and "longer than" in lines[1][2]
    emails = sorted(p["email"] for p in await all_contacts(client))
    assert emails == ["after@example.com", "before@example.com"]


async def test_one_row_per_kind_of_invalid_field(env: Env, client: httpx.AsyncClient) -> None:
    header = "email,phone,country,language,avatar_url,first_name,preferences.sms,suppressed"
    rows = [
        "bad-email,,,,,,,",
        ",+1 212,,,,,,",
        "c@example.com,,XX,,,,,",
        "l@example.com,,,zz-!!,,,,",
        "u@example.com,,,,ftp://x,,,",
        "n@example.com,,,,," + "y" * 300 + ",,",
        "p@example.com,,,,,,maybe,",
        "s@example.com,,,,,,,perhaps",
        ",,,,,Nobody,,",
        "good@example.com,,DE,de,https://example.com/a.png,Good,opted_in,false",
    ]
    job = await import_csv(env, client, "\n".join([header, *rows]) + "\n")
    assert (job["created"], job["failed"]) == (1, 9)
    lines = list(csv.reader(io.StringIO((await client.get(job["errors_url"])).text)))
    columns = [(line[0], line[1]) for line in lines[1:]]
    assert columns == [
        ("2", "email"),
        ("3", "phone"),
        ("4", "country"),
        ("5", "language"),
        ("6", "avatar_url"),
        ("7", "first_name"),
        ("8", "preferences.sms"),
        ("9", "suppressed"),
        ("10", "phone"),
    ]
    (good,) = await all_contacts(client)
    assert (good["country"], good["preferences"]["sms"], good["suppressed"]) == (
        "DE",
        "opted_in",
        False,
    )


async def test_file_over_the_size_limit(env: Env) -> None:
    limit = 64 * 1024
    settings = env.settings.model_copy(update={"max_upload_bytes": limit, "embedded_worker": False})
    app = create_app(settings)
    sent = 0
    before = set(settings.imports_dir.glob("*")) if settings.imports_dir.exists() else set()

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        boundary = b"--b0undary\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range(1000):  # 64 MB if read whole
            sent += 1
            yield b"email\n" + b"a@example.com\n" * 4681

    async with app.router.lifespan_context(app):
        _, key = await env.tenant()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post(
                "/v1/imports",
                content=body(),
                headers={
                    "Authorization": f"Bearer {key}",
                    "Content-Type": "multipart/form-data; boundary=b0undary",
                },
            )
            assert response.status_code == 413
            assert response.json()["code"] == "payload_too_large"
            assert sent < 20  # stopped soon after the limit, not after the whole body
            declared = await http.post(
                "/v1/imports",
                content=b"x" * 10,
                headers={
                    "Authorization": f"Bearer {key}",
                    "Content-Type": "multipart/form-data; boundary=b0undary",
                    "Content-Length": str(limit + 1),
                },
            )
            assert declared.status_code == 413
            assert (
                await http.get("/v1/imports", headers={"Authorization": f"Bearer {key}"})
            ).json()["data"] == []
    after = set(settings.imports_dir.glob("*")) if settings.imports_dir.exists() else set()
    assert after == before  # the partial upload was removed

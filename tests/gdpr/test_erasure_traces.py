"""Erasure leaves no trace of the person anywhere in the database, byte for byte: not in
stored idempotency responses, not in the rows of failed imports, not in freed SQLite pages or
the WAL (API.md §5 "Erasure", §1 "Idempotency")."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import sys
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from tests.conftest import Env
from tests.helpers.jobs import import_csv

# Unique to this module's run, so that a dump of the whole database (every tenant, every
# test of the session) can only hold them through the person under test.
_TAG = uuid.uuid4().hex[:10]
_LINE = random.randint(2000, 9999)
PHONE = f"+1907555{_LINE}"
PHONE_LOCAL = f"(907) 555-{_LINE}"
WHATSAPP = f"+1907556{_LINE}"
FIRST = f"Zebulon{_TAG}"
LAST = f"Quüxley{_TAG}"  # not ASCII: its JSON-escaped and hex forms differ from its UTF-8
EMAIL = f"Zeb.Q{_TAG}@Example.org"
EXTERNAL_ID = f"crm-{_TAG}-7"
TELEGRAM = f"@ZebQ{_TAG}"
NICKNAME = f"Nick{_TAG}"
COMPANY = f"Corp{_TAG}"
NOTE = f"Whispered secret {_TAG} by the harbour"
VENUE = f"Venue{_TAG}"
SUMMARY = f"Summary{_TAG}"
CONSENT_NOTE = f"ConsentNote{_TAG}"
OTHER = f"Othello{_TAG}"  # someone else, in a failed import row that must stay

SECRETS = (
    PHONE,
    PHONE[2:],
    PHONE_LOCAL,
    WHATSAPP,
    WHATSAPP[2:],
    FIRST,
    LAST,
    f"{FIRST} {LAST}",
    EMAIL,
    EMAIL.split("@")[0],
    EXTERNAL_ID,
    TELEGRAM[1:],
    NICKNAME,
    COMPANY,
    NOTE,
    VENUE,
    SUMMARY,
    CONSENT_NOTE,
)


def _forms(value: str) -> set[bytes]:
    """Every encoding the app or a database may give ``value``: UTF-8, JSON-escaped
    (ASCII-only as the standard library writes it), and hex (PostgreSQL renders bytea as
    ``\\x`` hex in JSON), each in the value's case, lower and upper case."""
    forms: set[bytes] = set()
    for variant in {value, value.lower(), value.casefold(), value.upper()}:
        for raw in (variant.encode(), json.dumps(variant)[1:-1].encode()):
            forms |= {raw, raw.hex().encode()}
    return {form.lower() for form in forms}


def _leaks(haystack: bytes, where: str) -> list[str]:
    lowered = haystack.lower()
    return [
        f"{secret!r} as {form!r} in {where}"
        for secret in SECRETS
        for form in sorted(_forms(secret))
        if form in lowered
    ]


def _assert_present(haystack: bytes, where: str) -> None:
    """The dump can see what it must later miss (else its silence would prove nothing)."""
    lowered = haystack.lower()
    for secret in (PHONE, FIRST, LAST, EMAIL, NOTE, NICKNAME):
        assert any(form in lowered for form in _forms(secret)), f"{secret!r} not in {where}"


async def _dump(env: Env) -> dict[str, bytes]:
    """PostgreSQL: every row of every table of the schema as JSON. SQLite: the raw bytes of
    the database file and of its WAL, free pages and old frames included."""
    engine = env.app.state.engine
    if env.name == "sqlite":
        path = Path(engine.url.database)
        return {
            "the database file": await _read_elsewhere(path),
            "the WAL": await _read_elsewhere(path.with_name(path.name + "-wal")),
        }
    parts: dict[str, bytes] = {}
    async with engine.connect() as conn:
        names = (
            await conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            )
        ).scalars()
        for name in list(names):
            rows = await conn.execute(text(f'SELECT row_to_json(t)::text FROM "{name}" t'))
            parts[f"table {name}"] = "\n".join(rows.scalars()).encode()
    assert "idempotency_keys" in {n.split()[-1] for n in parts}
    assert "import_errors" in {n.split()[-1] for n in parts}
    return parts


async def _read_elsewhere(path: Path) -> bytes:
    """The bytes of a file of the open SQLite database (empty if it does not exist), read by
    another process: closing a descriptor of the file in this one would drop every POSIX
    lock SQLite's connections here hold on it, and another process could then delete the
    WAL under them (they fail with "disk I/O error")."""
    reader = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import pathlib, sys; p = pathlib.Path(sys.argv[1]); "
        "sys.stdout.buffer.write(p.read_bytes() if p.exists() else b'')",
        str(path),
        stdout=asyncio.subprocess.PIPE,
    )
    content, _ = await reader.communicate()
    assert reader.returncode == 0
    return content


def _files_naming_the_person(directory: Path) -> list[Path]:
    return [
        path
        for path in directory.rglob("*")
        if path.is_file() and _leaks(path.read_bytes(), str(path))
    ]


async def _leftover_uploads(env: Env) -> list[Path]:
    """Files under the imports directory that still name the person. An import's upload is
    deleted just after the job is marked finished, so wait (bounded) for that."""
    found: list[Path] = []
    for _ in range(100):
        found = await asyncio.to_thread(_files_naming_the_person, env.settings.imports_dir)
        if not found:
            break
        await asyncio.sleep(0.1)
    return found


async def _person(env: Env, http: httpx.AsyncClient) -> tuple[dict, dict, str]:
    """The person, with a value in every personal field, written with Idempotency-Keys, and
    a failed import naming them; returns the contact, the create's body and the import's
    errors URL."""
    body = {
        "first_name": FIRST,
        "last_name": LAST,
        "phone": PHONE,
        "email": EMAIL,
        "external_id": EXTERNAL_ID,
        "company": COMPANY,
        "handles": {"telegram": TELEGRAM, "whatsapp": WHATSAPP},
        "custom_fields": {"nickname": NICKNAME},
        "preferences": {"sms": "opted_out"},
    }
    created = await http.post("/v1/contacts", json=body, headers={"Idempotency-Key": f"c-{_TAG}"})
    assert created.status_code == 201, created.text
    contact = created.json()
    cid = contact["id"]
    note = await http.post(
        f"/v1/contacts/{cid}/notes",
        json={"body": NOTE, "author": "agent"},
        headers={"Idempotency-Key": f"n-{_TAG}"},
    )
    assert note.status_code == 201, note.text
    activity = await http.post(
        f"/v1/contacts/{cid}/activities",
        json={"type": "custom.visit", "summary": SUMMARY, "data": {"venue": VENUE}},
    )
    assert activity.status_code == 201, activity.text
    consent = await http.put(
        f"/v1/contacts/{cid}/preferences",
        json={"preferences": {"whatsapp": "opted_out"}, "source": "form", "note": CONSENT_NOTE},
    )
    assert consent.status_code == 200, consent.text
    # Three failed rows: the person by email and names (bad phone), the person by phone in
    # national format only (bad email), and someone else, whose row must stay.
    rows = [
        ["First Name", "Last Name", "Email", "Phone"],
        [FIRST, LAST, EMAIL.upper(), "12"],
        ["Someone", "Else", "not-an-email", PHONE_LOCAL],
        [OTHER, "Person", f"othello-{_TAG}@example.com", "34"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    job = await import_csv(env, http, out.getvalue(), default_country="US")
    assert (job["status"], job["failed"]) == ("completed", 3), job
    return contact, body, job["errors_url"]


async def test_erasure_leaves_no_trace_in_any_table_file_or_response(env: Env) -> None:
    _, key = await env.tenant()
    async with env.client(key) as http:
        unrelated = {"email": f"bystander-{_TAG}@example.com"}
        kept = await http.post(
            "/v1/contacts", json=unrelated, headers={"Idempotency-Key": f"u-{_TAG}"}
        )
        assert kept.status_code == 201
        contact, create_body, errors_url = await _person(env, http)
        cid = contact["id"]
        replay = await http.post(
            "/v1/contacts", json=create_body, headers={"Idempotency-Key": f"c-{_TAG}"}
        )
        assert replay.headers.get("idempotent-replayed") == "true"  # the key works
        before = await _dump(env)
        _assert_present(b"\n".join(before.values()), "the database before erasure")

        erased = await http.delete(f"/v1/contacts/{cid}", params={"erase": "true"})
        assert erased.status_code == 204, erased.text

        leaks = [
            leak for where, dumped in (await _dump(env)).items() for leak in _leaks(dumped, where)
        ]
        assert not leaks, "\n".join(leaks)
        assert await _leftover_uploads(env) == []
        # The error file keeps the other person's row, and only it.
        errors = await http.get(errors_url)
        assert errors.status_code == 200
        lines = list(csv.reader(io.StringIO(errors.text)))
        assert [line[3] for line in lines[1:]] == [OTHER], lines
        assert _leaks(errors.content, "the import's error file") == []

        # The stored responses are forgotten: each key is free again and runs anew.
        note = await http.post(
            f"/v1/contacts/{cid}/notes",
            json={"body": NOTE, "author": "agent"},
            headers={"Idempotency-Key": f"n-{_TAG}"},
        )
        assert note.headers.get("idempotent-replayed") is None
        assert note.status_code == 404
        again = await http.post(
            "/v1/contacts", json=create_body, headers={"Idempotency-Key": f"c-{_TAG}"}
        )
        assert again.headers.get("idempotent-replayed") is None
        assert again.status_code == 201 and again.json()["id"] != cid
        # A key about someone else is untouched.
        bystander = await http.post(
            "/v1/contacts", json=unrelated, headers={"Idempotency-Key": f"u-{_TAG}"}
        )
        assert bystander.headers.get("idempotent-replayed") == "true"
        assert bystander.json() == kept.json()
        # Leave no copy of the person behind for the session's other dumps.
        gone = await http.delete(f"/v1/contacts/{again.json()['id']}", params={"erase": "true"})
        assert gone.status_code == 204

"""q: case-insensitive substring search, and the search index kept in step with writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from roster.filters.repository import contacts as caps
from tests.conftest import make_contact


@pytest.fixture(
    params=["planned", "walk", "walk-then-index", "first-walk", "tag-first", "walk-then-tag"]
)
def strategy(request, monkeypatch):
    """Each way a q page can be answered (see roster.filters.repository.plans): as planned for this
    small data set, forced along the sort index, forced past a tiny walk to the index, after
    a first walk of three rows (PostgreSQL: to the index when it finds at most one match,
    else on along the walk), and (with a tag) from the tag's rows at once or after a tiny walk."""
    if request.param != "planned":
        monkeypatch.setattr(caps, "SQLITE_FTS_CAP", 0)
        monkeypatch.setattr(
            caps, "WALK_CAP", 2 if request.param in ("walk-then-index", "walk-then-tag") else 10_000
        )
        monkeypatch.setattr(caps, "TAG_DRIVE_CAP", 10_000 if "tag" in request.param else -1)
        monkeypatch.setattr(caps, "FIRST_WALK", 3 if request.param == "first-walk" else 500)
    return request.param


@contextmanager
def statements(env) -> Iterator[list[str]]:
    """The SQL of every statement the app runs inside the block (recorded through
    SQLAlchemy's events, so reads that would go to the driver go through SQLAlchemy)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = env.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def found(client, q, **params) -> list[str]:
    response = await client.get("/v1/contacts", params={"q": q, "limit": 100, **params})
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


@pytest.fixture
async def jane(client):
    return await make_contact(
        client,
        first_name="Jane",
        last_name="Doe",
        email="Jane.Doe@Example.com",
        company="Acme Widgets",
        phone="+14155551234",
    )


@pytest.mark.parametrize(
    "q",
    [
        "jane doe",  # name
        "JANE",  # first name, other case
        "doe",  # last name
        "e.doe@exam",  # email
        "widgets",  # company
        "ACME W",
        "5551234",  # phone digits
        "555-1234",  # phone with formatting
        "(415) 555-1234",
        "+1 415 555",
        "14155551234",
        "an",  # short: no index, still a substring search
        "j",
    ],
)
async def test_q_matches_each_field(client, jane, q, strategy):
    await make_contact(client, name="Someone Else", phone="+442071838750")
    assert await found(client, q) == [jane["id"]]


async def test_q_that_matches_nothing(client, jane, strategy):
    assert await found(client, "zzqx") == []
    assert await found(client, "999-0000") == []
    # Fields are searched one by one: no match across the end of one and start of another.
    assert await found(client, "doejane") == []


async def test_q_with_like_wildcards_is_literal(client):
    percent = await make_contact(client, company="100% Fun_Co")
    await make_contact(client, company="100 x Fun Co")
    assert await found(client, "100%") == [percent["id"]]
    assert await found(client, "fun_co") == [percent["id"]]
    assert await found(client, '"fun') == []


async def test_q_non_ascii_is_case_insensitive(client):
    emile = await make_contact(client, name="Émile Zola")
    assert await found(client, "émile") == [emile["id"]]
    assert await found(client, "ÉMILE") == [emile["id"]]


async def test_q_combines_with_filters_and_pages(client, strategy):
    made = [
        await make_contact(client, name=f"Maria {i}", status="lead", tags=["x"]) for i in range(5)
    ]
    await make_contact(client, name="Maria other", status="customer", tags=["x"])
    await make_contact(client, name="Mario", status="lead")
    got = await found(client, "maria", status="lead", tag="x", sort="name")
    assert got == [c["id"] for c in made]
    first = (
        await client.get("/v1/contacts", params={"q": "maria", "status": "lead", "limit": 2})
    ).json()
    second = (
        await client.get(
            "/v1/contacts",
            params={"q": "maria", "status": "lead", "limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert [r["id"] for r in first["data"] + second["data"]] == [c["id"] for c in made[::-1][:4]]
    total = await client.get("/v1/contacts", params={"q": "maria", "include_total": "true"})
    assert total.json()["total"] == 6


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "name"])
async def test_q_with_tags_pages_the_same_whichever_plan(env, client, strategy, sort):
    """q + tags + status, paged by cursor: the tag-driven plans find exactly what the walk
    and the index find (the narrowest tag drives; archived contacts, contacts without every
    tag, and another tenant's contacts with the same tags stay out). Tags given after a
    contact was created (by PATCH, and by a batch upsert's bulk writer) take their place by
    the contact's creation, which the tag index orders by."""
    wanted = [
        await make_contact(client, name="Marta patched", status="lead", tags=["x"]),
        await make_contact(client, name="Marta batched", status="lead", phone="+14155550188"),
    ]
    wanted += [
        await make_contact(client, name=f"Marta {i}", status="lead", tags=["x", "y", "z"])
        for i in range(5)
    ]
    patch = {"tags": ["x", "y", "z"]}
    response = await client.patch(f"/v1/contacts/{wanted[0]['id']}", json=patch)
    assert response.status_code == 200, response.text
    upsert = {
        "mode": "upsert",
        "match_on": "phone",
        "contacts": [{"phone": "+14155550188", **patch}],
    }
    response = await client.post("/v1/contacts/batch", json=upsert)
    assert response.json()["updated"] == 1, response.text
    await make_contact(client, name="Marta x only", status="lead", tags=["x", "z"])
    await make_contact(client, name="Marta customer", status="customer", tags=["x", "y"])
    await make_contact(client, name="Mario", status="lead", tags=["x", "y"])
    for i in range(4):  # x is common, y rare: y drives
        await make_contact(client, name=f"Other {i}", tags=["x"])
    gone = await make_contact(client, name="Marta gone", status="lead", tags=["x", "y"])
    assert (await client.delete(f"/v1/contacts/{gone['id']}")).status_code == 204
    _, key = await env.tenant()
    async with env.client(key) as other:
        await make_contact(other, name="Marta elsewhere", status="lead", tags=["x", "y"])

    params = {"q": "marta", "tag": ["x", "y"], "status": "lead", "sort": sort, "limit": 3}
    got, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/v1/contacts", params=query)).json()
        got += [row["id"] for row in body["data"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    expected = sorted(wanted, key=lambda c: (c["name"].lower(), c["id"]))
    if sort.endswith("created_at"):
        expected = sorted(
            wanted, key=lambda c: (c["created_at"], c["id"]), reverse=sort.startswith("-")
        )
    assert got == [c["id"] for c in expected]
    with_gone = await found(client, "marta", tag=["x", "y"], status="lead", include_deleted="true")
    assert set(with_gone) == {c["id"] for c in wanted} | {gone["id"]}


async def test_last_page_of_a_common_q(client, monkeypatch):
    """SQLite: a walk that reaches the end of the tenant is the whole answer (no index read
    after it); on both engines the last page holds exactly the last matches."""
    monkeypatch.setattr(caps, "SQLITE_FTS_CAP", 0)
    monkeypatch.setattr(caps, "WALK_CAP", 5)
    made = [await make_contact(client, name=f"Nadia {i}") for i in range(4)]
    for i in range(8):
        await make_contact(client, name=f"Someone {i}")
    first = (await client.get("/v1/contacts", params={"q": "nadia", "limit": 3})).json()
    last = (
        await client.get(
            "/v1/contacts", params={"q": "nadia", "limit": 3, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [r["id"] for r in first["data"] + last["data"]] == [c["id"] for c in made[::-1]]
    assert last["has_more"] is False


async def test_index_in_step_after_patch_put_upsert_restore(client):
    contact = await make_contact(client, name="Original Name", phone="+14155550100")
    cid = contact["id"]
    assert await found(client, "original") == [cid]

    await client.patch(f"/v1/contacts/{cid}", json={"name": "Patched Person"})
    assert await found(client, "original") == []
    assert await found(client, "patched") == [cid]

    await client.put(f"/v1/contacts/{cid}", json={"company": "Putco", "phone": "+14155550199"})
    assert await found(client, "putco") == [cid]
    assert await found(client, "5550199") == [cid]
    assert await found(client, "5550100") == []

    r = await client.post(
        "/v1/contacts/upsert", json={"phone": "+14155550199", "email": "ups@example.com"}
    )
    assert r.status_code == 200
    assert await found(client, "ups@exam") == [cid]

    r = await client.post("/v1/contacts/upsert", json={"phone": "+14155550777", "name": "Newbie"})
    assert r.status_code == 201
    assert await found(client, "newbie") == [r.json()["id"]]

    await client.delete(f"/v1/contacts/{cid}")
    assert await found(client, "patched") == []
    assert await found(client, "patched", include_deleted="true") == [cid]
    await client.post(f"/v1/contacts/{cid}/restore")
    assert await found(client, "patched") == [cid]

    # Name derived from first/last changes with them.
    await client.patch(f"/v1/contacts/{cid}", json={"name": None, "first_name": "Derived"})
    assert await found(client, "derived") == [cid]
    assert await found(client, "patched") == []


async def test_name_sort_follows_renames(client):
    a = await make_contact(client, name="alpha")
    b = await make_contact(client, name="beta")
    await client.patch(f"/v1/contacts/{a['id']}", json={"name": "Zulu"})
    rows = (await client.get("/v1/contacts", params={"sort": "name"})).json()["data"]
    assert [r["id"] for r in rows] == [b["id"], a["id"]]


async def test_q_too_long_is_400(client):
    response = await client.get("/v1/contacts", params={"q": "x" * 201})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "q"


@pytest.mark.parametrize(
    ("first_walk", "q", "limit", "walks", "by_trigrams"),
    [
        (3, "quill", 100, 1, 1),  # no match among the first 3 rows: the trigram index
        (3, "nadia", 100, 2, 1),  # 3 matches there: the walk goes on, then the index
        (2, "nadia", 2, 2, 0),  # 2 matches there: the walk goes on and fills the page
        (20, "filler", 100, 1, 0),  # the first walk read the whole tenant: the answer
    ],
)
async def test_the_first_walk_of_a_q_alone(
    env, client, monkeypatch, first_walk, q, limit, walks, by_trigrams
):
    """PostgreSQL: a q alone is first looked for among FIRST_WALK rows. With at most
    RARE_IN_FIRST matches there the trigram index answers without the rest of the walk; with
    more the walk goes on from the last of them; when those rows were the tenant's last they
    are the whole answer. SQLite reads the page bounded by the walk's last row, once.
    Every plan returns the same pages."""
    monkeypatch.setattr(caps, "SQLITE_FTS_CAP", 0)
    monkeypatch.setattr(caps, "FIRST_WALK", first_walk)
    made = {"quill": [await make_contact(client, name=f"Quill {i}") for i in range(2)]}
    made["filler"] = [await make_contact(client, name=f"Filler {i}") for i in range(4)]
    # The newest three: a first walk of three rows (newest first) holds all and no quill.
    made["nadia"] = [await make_contact(client, name=f"Nadia {i}") for i in range(3)]
    with statements(env) as seen:
        page = (await client.get("/v1/contacts", params={"q": q, "limit": limit})).json()
    rest = await found(client, q, cursor=page["next_cursor"]) if page["has_more"] else []
    assert [row["id"] for row in page["data"]] + rest == [c["id"] for c in made[q][::-1]]
    walked = [s for s in seen if "walk_text" in s]
    # The trigram index's page is ordered by an expression no index provides.
    indexed = [s for s in seen if "coalesce(contacts.created_at" in s]
    if env.name == "postgresql":
        assert (len(walked), len(indexed)) == (walks, by_trigrams)
    else:
        assert (len(walked), len([s for s in seen if "edge_key" in s])) == (0, 1)


async def test_a_tags_size_is_counted_once_a_minute(env, client, monkeypatch):
    """A page with a q and a tag picks its plan by the tag's size: the count is made once
    and serves the tenant's next pages for TAG_SIZE_SECONDS."""
    monkeypatch.setattr(caps, "SQLITE_FTS_CAP", 0)  # else SQLite's FTS5 answers a rare q
    for i in range(3):
        await make_contact(client, name=f"Marta {i}", tags=["x"])

    def tag_counts() -> int:
        return len([s for s in seen if "count(*)" in s and "contact_tags" in s])

    with statements(env) as seen:
        counts = []
        for _ in range(2):
            assert len(await found(client, "marta", tag="x")) == 3
            counts.append(tag_counts())
        monkeypatch.setattr(caps, "TAG_SIZE_SECONDS", 0.0)
        assert len(await found(client, "marta", tag="x")) == 3
        counts.append(tag_counts())
    assert counts == [1, 1, 2]

"""Listings page transparently: every row once, even when rows are written meanwhile."""

from __future__ import annotations

from roster_client import AsyncRoster


async def test_list_follows_cursors_and_a_write_between_pages_repeats_nothing(
    roster: AsyncRoster,
) -> None:
    made = [str((await roster.contacts.create(email=f"p{i}@example.com")).id) for i in range(7)]
    seen: list[str] = []
    async for contact in roster.contacts.list(limit=2, sort="created_at"):
        seen.append(str(contact.id))
        if len(seen) == 3:
            # A write in the middle of the third page's request sequence.
            await roster.contacts.create(email="late@example.com")
            await roster.contacts.update(made[0], {"company": "moved"})
    assert seen[:7] == made
    assert len(seen) == len(set(seen)) == 8


async def test_search_pages_through_its_body_cursor(roster: AsyncRoster) -> None:
    for i in range(5):
        await roster.contacts.create(email=f"s{i}@example.com", tags=["s"])
    await roster.contacts.create(email="other@example.com")
    pager = roster.contacts.search({"field": "tags", "op": "has", "value": "s"}, limit=2)
    first = await pager.page()
    assert first.has_more and first.next_cursor
    found = [c.email async for c in pager]
    assert sorted(found) == [f"s{i}@example.com" for i in range(5)]

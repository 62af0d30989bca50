"""Custom field definitions: typed checks for custom field values on every contact write.

Changing a definition (its type on creation, the options of an enum) is refused with 409
while live contacts hold values it would no longer accept; the body says how many.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.errors import Conflict, NotFound, ValidationFailed
from roster.fielddefs.repository import FieldDefinitionRepository
from roster.fielddefs.types import Validator, validator
from roster.kit.timeutil import utcnow

Row = dict[str, Any]
# A value of an unparsable phone in an existing contact is checked in this region; the
# contact's own country is not known to the check.
_CHECK_REGION = "US"


class DefinitionConflict(Conflict):
    """A definition change that existing live values violate."""

    def __init__(self, key: str, count: int, detail: str):
        super().__init__(f"custom_fields.{key}", None, detail)
        self.count = count

    def extra(self) -> dict[str, Any]:
        return {**super().extra(), "violations": self.count}


async def validators(conn: AsyncConnection, tenant_id: UUID) -> dict[str, Validator]:
    """The tenant's definitions as checks, keyed by custom field key."""
    rows = await FieldDefinitionRepository(conn, tenant_id).all()
    return {row["key"]: validator(row["type"], row["options"]) for row in rows}


def _repo(conn: AsyncConnection, principal: Principal) -> FieldDefinitionRepository:
    return FieldDefinitionRepository(conn, principal.tenant_id)


def _check_options(kind: str, options: list[str] | None) -> list[str] | None:
    if kind == "enum":
        if not options:
            raise ValidationFailed.one("options", "an enum needs at least one option")
        return list(dict.fromkeys(options))
    if options:
        raise ValidationFailed.one("options", "only enum fields have options")
    return None


async def _violations(repo: FieldDefinitionRepository, key: str, check: Validator) -> int:
    count = 0
    async for value in repo.live_values(key):
        try:
            check(value, _CHECK_REGION)
        except ValueError:
            count += 1
    return count


async def list_all(conn: AsyncConnection, principal: Principal) -> list[Row]:
    return await _repo(conn, principal).all()


async def get(conn: AsyncConnection, principal: Principal, key: str) -> Row:
    row = await _repo(conn, principal).get(key)
    if row is None:
        raise NotFound("no such field definition")
    return row


async def create(conn: AsyncConnection, principal: Principal, data: Row) -> Row:
    repo = _repo(conn, principal)
    if await repo.get(data["key"]) is not None:
        raise Conflict("key", None, f"a definition for {data['key']!r} exists")
    options = _check_options(data["type"], data.get("options"))
    violations = await _violations(repo, data["key"], validator(data["type"], options))
    if violations:
        raise DefinitionConflict(
            data["key"],
            violations,
            f"{violations} live contact(s) hold a value of custom_fields.{data['key']} "
            f"that is not a valid {data['type']}",
        )
    now = utcnow()
    row = {
        "key": data["key"],
        "label": data["label"],
        "type": data["type"],
        "options": options,
        "created_at": now,
        "updated_at": now,
    }
    await repo.insert(row)
    return row


async def update(conn: AsyncConnection, principal: Principal, key: str, data: Row) -> Row:
    repo = _repo(conn, principal)
    current = await repo.get(key, for_update=True)
    if current is None:
        raise NotFound("no such field definition")
    values: Row = {}
    if data.get("label") is not None:
        values["label"] = data["label"]
    if "options" in data:
        options = _check_options(current["type"], data["options"])
        violations = await _violations(repo, key, validator(current["type"], options))
        if violations:
            raise DefinitionConflict(
                key,
                violations,
                f"{violations} live contact(s) hold a value of custom_fields.{key} "
                "that the new options leave out",
            )
        values["options"] = options
    if not values:
        return current
    values["updated_at"] = utcnow()
    await repo.change(key, values)
    return {**current, **values}


async def delete(conn: AsyncConnection, principal: Principal, key: str) -> None:
    if not await _repo(conn, principal).remove(key):
        raise NotFound("no such field definition")

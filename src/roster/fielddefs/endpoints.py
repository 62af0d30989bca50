"""HTTP routes of custom field definitions (admin)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.status import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from roster.auth.deps import Admin
from roster.fielddefs import service
from roster.kit.jsonutil import JSONBody
from roster.kit.timeutil import rfc3339
from roster.kit.web import problems, uow

router = APIRouter(prefix="/v1", tags=["fields"])

FieldType = Literal[
    "text", "number", "boolean", "date", "datetime", "enum", "url", "email", "phone"
]
KEY_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"
Key = Annotated[str, Path(pattern=KEY_PATTERN, description="The custom field key")]
Options = list[Annotated[str, Field(min_length=1, max_length=255)]]


class FieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN, examples=["plan"])
    label: str = Field(min_length=1, max_length=255, examples=["Plan"])
    type: FieldType
    options: Options | None = Field(
        default=None, max_length=500, description="Allowed values; enum only"
    )


class FieldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(default=None, min_length=1, max_length=255)
    options: Options | None = Field(default=None, max_length=500)


class FieldDefinition(BaseModel):
    key: str
    label: str
    type: FieldType
    options: list[str] | None
    created_at: str
    updated_at: str


class FieldList(BaseModel):
    data: list[FieldDefinition]


def _render(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": row["key"],
        "label": row["label"],
        "type": row["type"],
        "options": row["options"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


_CONFLICT = (
    "409 `conflict` when live contacts hold values the definition would refuse; "
    "`violations` says how many (fix or clear them first)."
)


@router.get(
    "/fields",
    response_model=FieldList,
    responses=problems(),
    summary="Custom field definitions, by key",
)
async def list_fields(request: Request, principal: Admin) -> Response:
    async with uow(request, write=False) as conn:
        rows = await service.list_all(conn, principal)
    return JSONBody({"data": [_render(r) for r in rows]})


@router.post(
    "/fields",
    status_code=201,
    response_model=FieldDefinition,
    responses=problems(409, 422),
    summary="Define a custom field's type",
    description="From now on every contact write must give this key a value of the type. "
    + _CONFLICT,
)
async def create_field(request: Request, principal: Admin, body: FieldCreate) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.create(conn, principal, body.model_dump())
    return JSONBody(
        _render(row), status_code=HTTP_201_CREATED, headers={"Location": f"/v1/fields/{row['key']}"}
    )


@router.get("/fields/{key}", response_model=FieldDefinition, responses=problems(404), summary="One")
async def get_field(request: Request, principal: Admin, key: Key) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, key)
    return JSONBody(_render(row))


@router.patch(
    "/fields/{key}",
    response_model=FieldDefinition,
    responses=problems(404, 409, 422),
    summary="Change a definition's label or enum options",
    description=_CONFLICT,
)
async def update_field(request: Request, principal: Admin, key: Key, body: FieldUpdate) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.update(conn, principal, key, body.model_dump(exclude_unset=True))
    return JSONBody(_render(row))


@router.delete(
    "/fields/{key}",
    status_code=204,
    responses=problems(404),
    summary="Remove a definition (values stay; the key is free-form again)",
)
async def delete_field(request: Request, principal: Admin, key: Key) -> Response:
    async with uow(request, write=True) as conn:
        await service.delete(conn, principal, key)
    return Response(status_code=HTTP_204_NO_CONTENT)

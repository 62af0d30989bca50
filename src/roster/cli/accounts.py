"""``roster tenants create|list`` and ``roster keys create|list|revoke``: the operator's
view of every tenant, on the local database. A key's secret is shown once, when created."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

import typer

from roster.apikeys import service as apikeys
from roster.apikeys.service import render as render_key
from roster.auth.scopes import ALL_SCOPES
from roster.cli.base import JsonFlag, keys_app, local, settings, tenants_app
from roster.cli.errors import USAGE, CliError
from roster.kit.timeutil import rfc3339, utcnow
from roster.tenants import service as tenants


def tenant_id(value: str) -> UUID:
    return an_id(value, "--tenant", "'roster tenants list' shows the tenants and their ids")


def an_id(value: str, what: str, hint: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise CliError(
            f"{what} {value!r} is not an id (ids look like 0193f4e2-…)", hint, USAGE
        ) from None


@tenants_app.command("create")
def tenants_create(
    name: str,
    region: Annotated[
        str | None, typer.Option(help="Default region for phones without '+'")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a tenant."""
    row = local(settings(), lambda conn: tenants.create_tenant(conn, name, region))
    if as_json:
        typer.echo(json.dumps({"id": str(row["id"]), "name": name}))
    else:
        typer.echo(f"tenant {row['id']} ({name})")
        typer.echo(f"next: roster keys create --tenant {row['id']}")


@tenants_app.command("list")
def tenants_list(as_json: JsonFlag = False) -> None:
    """Every tenant with its id, name, default region and number of active keys."""

    async def read(conn: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return await tenants.all_tenants(conn), await apikeys.every_key(conn)

    rows, keys = local(settings(), read)
    active: dict[UUID, int] = {}
    for key in keys:
        if _active(key):
            active[key["tenant_id"]] = active.get(key["tenant_id"], 0) + 1
    listed = [
        {
            "id": str(row["id"]),
            "name": row["name"],
            "default_region": row["default_region"],
            "created_at": rfc3339(row["created_at"]),
            "active_keys": active.get(row["id"], 0),
        }
        for row in rows
    ]
    if as_json:
        typer.echo(json.dumps(listed))
        return
    if not listed:
        typer.echo("no tenants yet: 'roster tenants create <name>' (or 'roster serve') makes one")
        return
    _columns(
        ["id", "name", "region", "created", "active keys"],
        [
            [t["id"], t["name"], t["default_region"] or "", t["created_at"], str(t["active_keys"])]
            for t in listed
        ],
    )


def _columns(header: list[str], rows: list[list[str]]) -> None:
    """Aligned columns that are never cut (ids must be copied whole), whatever the width."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _active(key: dict[str, Any]) -> bool:
    expires = key.get("expires_at")
    return key.get("revoked_at") is None and (expires is None or expires > utcnow())


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant id ('roster tenants list')")],
    scopes: Annotated[
        str, typer.Option(help=f"Comma-separated: {', '.join(ALL_SCOPES)}")
    ] = "admin",
    name: Annotated[str, typer.Option(help="What the key is for")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Create an API key; it is printed once and cannot be shown again."""
    owner = tenant_id(tenant)
    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    created = local(
        settings(), lambda conn: tenants.create_api_key(conn, owner, name=name, scopes=wanted)
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": str(created.id),
                    "key": created.key,
                    "scopes": created.scopes,
                    "tenant_id": str(owner),
                }
            )
        )
    else:
        typer.echo(
            f"{created.key}  (scopes: {' '.join(created.scopes)}; tenant {owner}; shown once)"
        )


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys")] = None,
    as_json: JsonFlag = False,
) -> None:
    """API keys: id, tenant, name, prefix and last four characters, scopes, created, last
    used, and whether revoked or expired. Never the key itself."""
    owner = tenant_id(tenant) if tenant is not None else None
    rows = local(settings(), apikeys.every_key)
    listed = [
        {**render_key(row), "active": _active(row)}
        for row in rows
        if owner is None or row["tenant_id"] == owner
    ]
    if as_json:
        typer.echo(json.dumps(listed))
        return
    if not listed:
        typer.echo("no API keys" + (f" for tenant {owner}" if owner else ""))
        return
    _columns(
        ["id", "tenant", "name", "key", "scopes", "created", "last used", "state"],
        [
            [
                k["id"],
                k["tenant_id"],
                k["name"],
                f"{k['prefix']}…{k['last_four']}",
                ",".join(k["scopes"]),
                k["created_at"],
                k["last_used_at"] or "never",
                "revoked" if k["revoked"] else ("active" if k["active"] else "expired"),
            ]
            for k in listed
        ],
    )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id ('roster keys list')")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key: the very next request with it is refused, on every process."""
    wanted = an_id(key_id, "key id", "'roster keys list' shows the keys and their ids")

    async def revoke(conn: Any) -> dict[str, Any]:
        row = await apikeys.revoke_any(conn, wanted)
        if row is None:
            raise CliError(f"no API key {wanted}", "'roster keys list' shows the keys")
        return row

    row = local(settings(), revoke)
    if as_json:
        typer.echo(json.dumps({"id": str(wanted), "tenant_id": str(row["tenant_id"])}))
    else:
        typer.echo(f"revoked key {wanted} ({row['name']}) of tenant {row['tenant_id']}")

"""Distributing the schema by tenant on Citus: which tables, in which order, and the helper
later migrations call for the tenant tables they create.

Reference tables (copied to every node) are those read before the tenant is known: the
tenants, the API keys (looked up by hash) and the instance settings. Every other table with
a ``tenant_id`` column is distributed by it, all of them colocated, so that a tenant's rows
of every table live on the same node and a statement pinned to one
tenant runs on that node alone. Reference tables come first, then each distributed table
after the tables its foreign keys point to.
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import ForeignKeyConstraint, inspect, text
from sqlalchemy.engine import Connection

REFERENCE_TABLES = ("tenants", "api_keys", "instance_settings")
DISTRIBUTION_COLUMN = "tenant_id"


class NotDistributable(Exception):
    """The database cannot be distributed as it is (the message says why)."""


def plan(conn: Connection) -> tuple[list[str], list[str]]:
    """The reference tables present, and the tables to distribute by ``tenant_id`` in an
    order where each comes after those its foreign keys point to."""
    found = inspect(conn)
    names = set(found.get_table_names())
    reference = [name for name in REFERENCE_TABLES if name in names]
    tenant_tables = sorted(
        name
        for name in names - set(reference)
        if any(column["name"] == DISTRIBUTION_COLUMN for column in found.get_columns(name))
    )
    needs = {
        name: {
            key["referred_table"]
            for key in found.get_foreign_keys(name)
            if key["referred_table"] in tenant_tables and key["referred_table"] != name
        }
        for name in tenant_tables
    }
    ordered: list[str] = []
    while needs:
        ready = sorted(name for name, wanted in needs.items() if wanted <= set(ordered))
        if not ready:
            raise NotDistributable(f"foreign keys form a cycle among {sorted(needs)}")
        ordered += ready
        for name in ready:
            del needs[name]
    return reference, ordered


def citus_coordinator(conn: Connection) -> bool:
    """Whether ``conn`` is to a PostgreSQL database with Citus, on its coordinator."""
    if conn.dialect.name != "postgresql":
        return False
    installed = conn.execute(
        text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
    ).scalar()
    return bool(installed) and bool(conn.execute(text("SELECT citus_is_coordinator()")).scalar())


def _placed(conn: Connection) -> dict[str, str]:
    """The reference and distributed tables, each with its method ('n' reference, 'h'
    hash). A local table Citus took into its metadata by itself (one with a foreign key to
    a reference table) is not placed: it still has to be distributed."""
    rows = conn.execute(
        text(
            "SELECT logicalrelid::regclass::text, partmethod::text FROM pg_dist_partition "
            "WHERE NOT (partmethod = 'n' AND repmodel = 's')"
        )
    ).all()
    return {name: method for name, method in rows}


def distribute(conn: Connection) -> list[str]:
    """Make the reference tables and distribute every tenant table by ``tenant_id``,
    colocated; tables done already are left as they are. Returns what it did, a line per
    table. Raises ``NotDistributable`` on SQLite or on PostgreSQL without Citus."""
    if conn.dialect.name != "postgresql":
        raise NotDistributable("SQLite cannot be distributed: Citus runs on PostgreSQL")
    if not citus_coordinator(conn):
        raise NotDistributable(
            "this PostgreSQL database has no Citus coordinator: run CREATE EXTENSION citus "
            "and add the workers (citus_add_node) on the coordinator's database first"
        )
    # Tables that refer to a reference table made in this transaction must be distributed
    # one shard at a time, or Citus refuses them.
    conn.execute(text("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"))
    reference, tenant_tables = plan(conn)
    placed = _placed(conn)
    # Citus refuses a foreign key between a distributed table and a local one, so those
    # between tenant tables are dropped while the tables move and made again once all of
    # them are colocated (each includes tenant_id, as Citus requires).
    keys = _links(conn, tenant_tables, placed)
    for table, name, _ in keys:
        conn.execute(
            text(f"ALTER TABLE {_quote(conn, table)} DROP CONSTRAINT {_quote(conn, name)}")
        )
    done: list[str] = []
    for name in reference:
        if name not in placed:
            conn.execute(text("SELECT create_reference_table(:t)"), {"t": name})
            done.append(f"{name}: reference table")
    # Colocated with a table distributed already, if any (else the first one distributed).
    anchor = next((name for name in tenant_tables if placed.get(name) == "h"), None)
    for name in tenant_tables:
        if name not in placed:
            _distribute_table(conn, name, anchor or "none")
            done.append(f"{name}: distributed by {DISTRIBUTION_COLUMN}")
            anchor = anchor or name
    for table, name, definition in keys:
        constraint = f"{_quote(conn, name)} {definition}"
        conn.execute(text(f"ALTER TABLE {_quote(conn, table)} ADD CONSTRAINT {constraint}"))
    return done


def _quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def _links(
    conn: Connection, tenant_tables: list[str], placed: dict[str, str]
) -> list[tuple[str, str, str]]:
    """The foreign keys from one tenant table to another where either is not distributed
    yet: (table, constraint name, definition)."""
    rows = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid::regclass::text = ANY(:tables) "
            "AND confrelid::regclass::text = ANY(:tables) "
            "AND NOT (conrelid::regclass::text = ANY(:placed) "
            "AND confrelid::regclass::text = ANY(:placed)) "
            "ORDER BY 1, 2"
        ),
        {"tables": tenant_tables, "placed": sorted(placed)},
    ).all()
    return [(table, name, definition) for table, name, definition in rows]


def _distribute_table(conn: Connection, name: str, colocate_with: str) -> None:
    conn.execute(
        text("SELECT create_distributed_table(:t, :column, colocate_with => :with)"),
        {"t": name, "column": DISTRIBUTION_COLUMN, "with": colocate_with},
    )


def distribute_new_table(conn: Connection, name: str) -> None:
    """Distribute the tenant table ``name`` by ``tenant_id``, colocated with the others,
    when the database is distributed already (nothing happens elsewhere). Migrations call
    ``create_tenant_table``, which calls this at the right moment."""
    if not citus_coordinator(conn):
        return
    placed = _placed(conn)
    if name in placed or "tenants" not in placed:
        return
    anchor = next((table for table, method in sorted(placed.items()) if method == "h"), None)
    _distribute_table(conn, name, anchor or "none")


def create_tenant_table(name: str, *elements: Any, **options: Any) -> None:
    """For a migration that creates a tenant table: ``op.create_table`` with the same
    arguments and, when the database is distributed, the table distributed by
    ``tenant_id``, colocated with the others. Citus refuses a foreign key from a local
    table to a distributed one, so there the foreign keys to other tenant tables are added
    once the table is distributed."""
    conn = op.get_bind()
    if not citus_coordinator(conn) or "tenants" not in _placed(conn):
        op.create_table(name, *elements, **options)
        return
    later = [
        element
        for element in elements
        if isinstance(element, ForeignKeyConstraint) and _referred(element) not in REFERENCE_TABLES
    ]
    held = {id(element) for element in later}
    op.create_table(name, *(e for e in elements if id(e) not in held), **options)
    distribute_new_table(conn, name)
    for key in later:
        op.create_foreign_key(
            key.name if isinstance(key.name, str) else None,
            name,
            _referred(key),
            list(key.column_keys),
            [link.target_fullname.rpartition(".")[2] for link in key.elements],
            ondelete=key.ondelete,
            onupdate=key.onupdate,
        )


def _referred(key: ForeignKeyConstraint) -> str:
    return key.elements[0].target_fullname.rpartition(".")[0]

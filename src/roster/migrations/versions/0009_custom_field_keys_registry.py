"""custom field keys registry: every custom field key a tenant's contacts have had

``contact_custom_keys`` lists, per tenant, each key ever written into a contact's
``custom_fields``. The CSV export names its columns from it instead of reading every exported
row first. Database triggers keep it in step in the writing transaction whatever the write
path (single writes, batches, imports, merges, bulk actions): keys are only ever added, so the
list may hold keys no live contact has any more (an export shows them as empty columns).

PostgreSQL: one statement-level trigger per event with a transition table (one INSERT … ON
CONFLICT DO NOTHING per statement, not per row). SQLite: per-row triggers over json_each.

Also on PostgreSQL: ``roster_json_compact``, ``roster_json_number`` and ``roster_json_float``,
a JSON value's text as orjson (the API's encoder) writes it, so the export's COPY renders
non-string custom field values byte for byte as the Python renderer does.

SQLite: a later migration that rebuilds ``contacts`` in batch mode drops these triggers and
must create them again (``SQLITE_TRIGGERS``).

Revision ID: 0009_custom_field_keys
Revises: 0005
Create Date: 2026-11-23 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_custom_field_keys"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_NOTE = """
CREATE FUNCTION roster_note_custom_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_custom_keys (tenant_id, key)
    SELECT DISTINCT n.tenant_id, k.key
    FROM new_contacts AS n, jsonb_object_keys(n.custom_fields) AS k(key)
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""
PG_TRIGGERS = tuple(
    f"CREATE TRIGGER contacts_custom_keys_{event.lower()} AFTER {event} ON contacts "
    "REFERENCING NEW TABLE AS new_contacts FOR EACH STATEMENT "
    "EXECUTE FUNCTION roster_note_custom_keys()"
    for event in ("INSERT", "UPDATE")
)
# The shortest round-trip digits of a plain decimal text, and its decimal exponent.
PG_DIGITS = r"""
CREATE FUNCTION roster_json_digits(plain text, OUT digits text, OUT x int)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    point int;
BEGIN
    IF strpos(plain, '.') = 0 THEN
        plain := plain || '.';
    END IF;
    point := strpos(plain, '.');
    digits := replace(plain, '.', '');
    x := point - 2 - (length(digits) - length(ltrim(digits, '0')));
    digits := rtrim(ltrim(digits, '0'), '0');
END
$$
"""
# orjson's float text. PostgreSQL prints the shortest digits that read back to the value,
# except that it may miss a shorter decimal lying exactly half-way between two doubles (1e23
# prints as 9.999999999999999e+22), which only values beyond 2**53 or subnormal ones have: for
# those the shorter roundings are tried. Then: plain decimal (with ".0" when integral) for
# decimal exponents -5..15, else d[.ddd]e+X / d[.ddd]e-X.
PG_FLOAT = r"""
CREATE FUNCTION roster_json_float(value float8) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    magnitude float8 := abs(value);
    t text := magnitude::text;
    sign text := CASE WHEN value < 0 THEN '-' ELSE '' END;
    digits text;
    x int;
    n int;
    shorter numeric;
BEGIN
    IF magnitude = 'Infinity'::float8 OR value = 'NaN'::float8 THEN
        RETURN 'null';
    END IF;
    IF value = 0 THEN
        RETURN sign || '0.0';
    END IF;
    IF strpos(t, 'e') > 0 THEN
        x := split_part(t, 'e', 2)::int;
        digits := rtrim(replace(split_part(t, 'e', 1), '.', ''), '0');
    ELSE
        SELECT d.digits, d.x INTO digits, x FROM roster_json_digits(t) AS d;
    END IF;
    n := length(digits);
    IF magnitude >= 9007199254740992 OR magnitude < 2.2250738585072014e-308 THEN
        FOR k IN 1 .. n - 1 LOOP
            shorter := round(t::numeric, k - 1 - x);
            CONTINUE WHEN shorter > 1.7976931348623157e308;
            IF shorter::float8 = magnitude THEN
                SELECT d.digits, d.x INTO digits, x FROM roster_json_digits(shorter::text) AS d;
                n := length(digits);
                EXIT;
            END IF;
        END LOOP;
    END IF;
    IF x >= -5 AND x < 16 THEN
        IF x >= n - 1 THEN
            RETURN sign || digits || repeat('0', x - n + 1) || '.0';
        ELSIF x >= 0 THEN
            RETURN sign || left(digits, x + 1) || '.' || substr(digits, x + 2);
        END IF;
        RETURN sign || '0.' || repeat('0', -x - 1) || digits;
    END IF;
    RETURN sign || left(digits, 1) || CASE WHEN n > 1 THEN '.' || substr(digits, 2) ELSE '' END
        || 'e' || CASE WHEN x > 0 THEN '+' ELSE '-' END || abs(x)::text;
END
$$
"""
# A JSON number's text as orjson prints the value the API reads from it: integers within 64
# bits as they are, any other number as the float it parses to.
PG_NUMBER = r"""
CREATE FUNCTION roster_json_number(value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    IF strpos(value, '.') = 0
            AND value::numeric BETWEEN -9223372036854775808 AND 18446744073709551615 THEN
        RETURN value;
    END IF;
    RETURN roster_json_float(value::float8);
END
$$
"""
# A JSON value as orjson writes it: compact, members in the stored order.
PG_COMPACT = r"""
CREATE FUNCTION roster_json_compact(value jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    kind text := jsonb_typeof(value);
BEGIN
    IF kind = 'object' THEN
        RETURN '{' || coalesce((
            SELECT string_agg(to_jsonb(e.key)::text || ':' || roster_json_compact(e.value), ','
                              ORDER BY e.ord)
            FROM jsonb_each(value) WITH ORDINALITY AS e(key, value, ord)), '') || '}';
    ELSIF kind = 'array' THEN
        RETURN '[' || coalesce((
            SELECT string_agg(roster_json_compact(e.value), ',' ORDER BY e.ord)
            FROM jsonb_array_elements(value) WITH ORDINALITY AS e(value, ord)), '') || ']';
    ELSIF kind = 'number' THEN
        RETURN roster_json_number(value #>> '{}');
    END IF;
    RETURN value::text;
END
$$
"""
PG_FUNCTIONS = (
    "roster_json_compact(jsonb)",
    "roster_json_digits(text)",
    "roster_json_number(text)",
    "roster_json_float(float8)",
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER contacts_custom_keys_ai AFTER INSERT ON contacts BEGIN "
    "INSERT OR IGNORE INTO contact_custom_keys (tenant_id, key) "
    "SELECT new.tenant_id, j.key FROM json_each(new.custom_fields) AS j; END",
    "CREATE TRIGGER contacts_custom_keys_au AFTER UPDATE OF custom_fields ON contacts BEGIN "
    "INSERT OR IGNORE INTO contact_custom_keys (tenant_id, key) "
    "SELECT new.tenant_id, j.key FROM json_each(new.custom_fields) AS j; END",
)


def upgrade() -> None:
    op.create_table(
        "contact_custom_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_contact_custom_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_contact_custom_keys")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_NOTE)
        for statement in PG_TRIGGERS:
            op.execute(statement)
        for statement in (PG_DIGITS, PG_FLOAT, PG_NUMBER, PG_COMPACT):
            op.execute(statement)
        op.execute(
            "INSERT INTO contact_custom_keys (tenant_id, key) "
            "SELECT DISTINCT tenant_id, jsonb_object_keys(custom_fields) FROM contacts "
            "ON CONFLICT DO NOTHING"
        )
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute(
            "INSERT OR IGNORE INTO contact_custom_keys (tenant_id, key) "
            "SELECT DISTINCT c.tenant_id, j.key FROM contacts AS c, json_each(c.custom_fields) AS j"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contacts_custom_keys_{event} ON contacts")
        op.execute("DROP FUNCTION IF EXISTS roster_note_custom_keys()")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for name in ("ai", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS contacts_custom_keys_{name}")
    op.drop_table("contact_custom_keys")

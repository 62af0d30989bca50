"""Background jobs (imports, bulk actions) and the per-row errors of an import.

A job is claimed by one worker at a time (``locked_by``); the worker renews
``heartbeat_at`` while it runs, and a running job whose heartbeat went stale is taken up
again by another worker from ``checkpoint``, which is written in the same transaction as
the work it describes.
"""

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from roster.kit.types import PortableJSON, UTCDateTime
from roster.models.base import metadata

JOB_STATUSES = ("queued", "running", "completed", "failed", "cancelled")

jobs = Table(
    "jobs",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("id", Uuid, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("params", PortableJSON, nullable=False),
    # Where a resumed run starts (e.g. the byte offset and row number of an import).
    Column("checkpoint", PortableJSON, nullable=True),
    # Progress counts; total is an estimate until the job completes.
    Column("total", Integer, nullable=True),
    Column("processed", Integer, nullable=False, server_default="0"),
    Column("created", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("cancel_requested", Boolean, nullable=False, server_default=text("false")),
    Column("heartbeat_at", UTCDateTime, nullable=True),
    Column("locked_by", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    # The claim query scans by status across tenants, oldest first.
    Index("ix_jobs_status_created", "status", "created_at"),
    Index("ix_jobs_tenant_kind_created", "tenant_id", "kind", "created_at", "id"),
)

import_errors = Table(
    "import_errors",
    metadata,
    Column("tenant_id", Uuid, nullable=False),
    Column("job_id", Uuid, nullable=False),
    Column("row", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("column", String(255), nullable=True),
    Column("error", Text, nullable=False),
    Column("cells", PortableJSON, nullable=False),
    PrimaryKeyConstraint("tenant_id", "job_id", "row", "position"),
    ForeignKeyConstraint(
        ["tenant_id", "job_id"], ["jobs.tenant_id", "jobs.id"], ondelete="CASCADE"
    ),
)

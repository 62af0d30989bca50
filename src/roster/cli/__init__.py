"""The ``roster`` command: serve, worker, relay, db, tenants, keys, import, export, sweep.

Each module adds its commands to ``app`` (roster.cli.base), which reports every failure
in one or two lines with a documented exit code (roster.cli.errors)."""

from __future__ import annotations

from roster.cli import accounts, database, distribution, processes, transfer
from roster.cli.base import app

__all__ = ["accounts", "app", "database", "distribution", "main", "processes", "transfer"]


def main() -> None:
    app()

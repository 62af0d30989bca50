"""The registries that let lower layers call up, filled at start-up: the worker's job kinds
(imports, bulk actions).

``install`` runs in every process that may run a job or sequence events: the app's factory
(``create_app``), ``roster worker`` and the CLI commands that run jobs. Installing twice
changes nothing.
"""

from __future__ import annotations

from roster.bulk import actions
from roster.imports import job


def install() -> None:
    job.install()
    actions.install()

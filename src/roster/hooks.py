"""The registries that let lower layers call up, filled at start-up: the worker's job kinds
(imports, bulk actions) and the webhook fan-out of sequenced events.

``install`` runs in every process that may run a job or sequence events: the app's factory
(``create_app``), ``roster worker`` and the CLI commands that run jobs. Installing twice
changes nothing.
"""

from __future__ import annotations

from roster.bulk import actions
from roster.imports import job
from roster.webhooks.relay import fanout


def install() -> None:
    job.install()
    actions.install()
    fanout.install()

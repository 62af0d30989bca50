"""Every query of the relay: creating deliveries as events are sequenced (``fanout``),
claiming them (``claims``), recording sends and endpoint health (``outcomes``), and the
statements of the relay's own connections (``listening``, ``statistics``).

The relay serves every tenant: its claim reads due deliveries across tenants, by design,
and every other statement names the tenant of the rows it writes (``scoped``).
"""

from __future__ import annotations

from importlib import resources


def sql(name: str) -> str:
    """The text of the ``.sql`` file ``name`` beside these modules."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")

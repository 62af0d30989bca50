"""The relay: numbers committed events, fans them out, and delivers them, at least once.

``loop`` runs the passes; each pass records finished sends (``outcomes``), ends disabled
endpoints' backlogs (``health``), sequences events (``fanout`` creates their deliveries),
and claims due deliveries with a lease (``claims``), which ``sending`` sends. ``listener``
wakes an idle relay on PostgreSQL, and ``statistics`` keeps the planner's statistics
current as the deliveries grow. Their queries are in ``repository``.
"""

from roster.webhooks.relay.listener import RELAY_IDLE_LOCK, WAKE_CHANNEL
from roster.webhooks.relay.loop import Relay

__all__ = ["RELAY_IDLE_LOCK", "WAKE_CHANNEL", "Relay"]

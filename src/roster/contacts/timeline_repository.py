"""The one write contacts makes to the activities table: its own timeline events."""

from __future__ import annotations

from roster.kit.repository import TenantRepository
from roster.models import activities


class TimelineRepository(TenantRepository):
    table = activities

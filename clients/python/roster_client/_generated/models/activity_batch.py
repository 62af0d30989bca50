from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.activity_batch_activities_item import ActivityBatchActivitiesItem


T = TypeVar("T", bound="ActivityBatch")


@_attrs_define
class ActivityBatch:
    """
    Attributes:
        activities (list[ActivityBatchActivitiesItem]): Each item: the activity fields and one of contact_id, phone,
            email
    """

    activities: list[ActivityBatchActivitiesItem]

    def to_dict(self) -> dict[str, Any]:
        activities = []
        for activities_item_data in self.activities:
            activities_item = activities_item_data.to_dict()
            activities.append(activities_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "activities": activities,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.activity_batch_activities_item import ActivityBatchActivitiesItem

        d = dict(src_dict)
        activities = []
        _activities = d.pop("activities")
        for activities_item_data in _activities:
            activities_item = ActivityBatchActivitiesItem.from_dict(
                activities_item_data
            )

            activities.append(activities_item)

        activity_batch = cls(
            activities=activities,
        )

        return activity_batch

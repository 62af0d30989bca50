from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.activity_data import ActivityData


T = TypeVar("T", bound="Activity")


@_attrs_define
class Activity:
    """
    Attributes:
        id (str):
        contact_id (str):
        type_ (str):
        channel (None | str):
        occurred_at (str):
        summary (None | str):
        data (ActivityData):
        external_id (None | str):
        created_at (str):
    """

    id: str
    contact_id: str
    type_: str
    channel: None | str
    occurred_at: str
    summary: None | str
    data: ActivityData
    external_id: None | str
    created_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        contact_id = self.contact_id

        type_ = self.type_

        channel: None | str
        channel = self.channel

        occurred_at = self.occurred_at

        summary: None | str
        summary = self.summary

        data = self.data.to_dict()

        external_id: None | str
        external_id = self.external_id

        created_at = self.created_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "contact_id": contact_id,
                "type": type_,
                "channel": channel,
                "occurred_at": occurred_at,
                "summary": summary,
                "data": data,
                "external_id": external_id,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.activity_data import ActivityData

        d = dict(src_dict)
        id = d.pop("id")

        contact_id = d.pop("contact_id")

        type_ = d.pop("type")

        def _parse_channel(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        channel = _parse_channel(d.pop("channel"))

        occurred_at = d.pop("occurred_at")

        def _parse_summary(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        summary = _parse_summary(d.pop("summary"))

        data = ActivityData.from_dict(d.pop("data"))

        def _parse_external_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        external_id = _parse_external_id(d.pop("external_id"))

        created_at = d.pop("created_at")

        activity = cls(
            id=id,
            contact_id=contact_id,
            type_=type_,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            data=data,
            external_id=external_id,
            created_at=created_at,
        )

        activity.additional_properties = d
        return activity

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

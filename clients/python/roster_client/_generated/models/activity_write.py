from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.activity_write_data import ActivityWriteData


T = TypeVar("T", bound="ActivityWrite")


@_attrs_define
class ActivityWrite:
    """One activity. ``type`` is one of the listed types or ``custom.<name>``; the
    contact's own events (``contact.*``) are written by Roster only.

        Attributes:
            type_ (str): One of message.sent, message.delivered, message.read, message.received, message.failed,
                call.completed, agent.interaction, or custom.<name>
            channel (None | str | Unset): sms, whatsapp, email, voice, …
            occurred_at (datetime.datetime | None | Unset): RFC 3339 with a time zone; default: now
            summary (None | str | Unset):
            data (ActivityWriteData | Unset): At most 16 KiB as JSON
            external_id (None | str | Unset): Your id for this activity; the same id again returns the first (200)
    """

    type_: str
    channel: None | str | Unset = UNSET
    occurred_at: datetime.datetime | None | Unset = UNSET
    summary: None | str | Unset = UNSET
    data: ActivityWriteData | Unset = UNSET
    external_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        channel: None | str | Unset
        if isinstance(self.channel, Unset):
            channel = UNSET
        else:
            channel = self.channel

        occurred_at: None | str | Unset
        if isinstance(self.occurred_at, Unset):
            occurred_at = UNSET
        elif isinstance(self.occurred_at, datetime.datetime):
            occurred_at = self.occurred_at.isoformat()
        else:
            occurred_at = self.occurred_at

        summary: None | str | Unset
        if isinstance(self.summary, Unset):
            summary = UNSET
        else:
            summary = self.summary

        data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = self.data.to_dict()

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
            }
        )
        if channel is not UNSET:
            field_dict["channel"] = channel
        if occurred_at is not UNSET:
            field_dict["occurred_at"] = occurred_at
        if summary is not UNSET:
            field_dict["summary"] = summary
        if data is not UNSET:
            field_dict["data"] = data
        if external_id is not UNSET:
            field_dict["external_id"] = external_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.activity_write_data import ActivityWriteData

        d = dict(src_dict)
        type_ = d.pop("type")

        def _parse_channel(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        channel = _parse_channel(d.pop("channel", UNSET))

        def _parse_occurred_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                occurred_at_type_0 = datetime.datetime.fromisoformat(data)

                return occurred_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        occurred_at = _parse_occurred_at(d.pop("occurred_at", UNSET))

        def _parse_summary(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        summary = _parse_summary(d.pop("summary", UNSET))

        _data = d.pop("data", UNSET)
        data: ActivityWriteData | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = ActivityWriteData.from_dict(_data)

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("external_id", UNSET))

        activity_write = cls(
            type_=type_,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            data=data,
            external_id=external_id,
        )

        return activity_write

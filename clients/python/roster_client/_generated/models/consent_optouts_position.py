from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ConsentOptoutsPosition")


@_attrs_define
class ConsentOptoutsPosition:
    """
    Attributes:
        cursor (str | Unset):
        offset (int | Unset):
        page (int | Unset):
    """

    cursor: str | Unset = UNSET
    offset: int | Unset = UNSET
    page: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        cursor = self.cursor

        offset = self.offset

        page = self.page

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if cursor is not UNSET:
            field_dict["cursor"] = cursor
        if offset is not UNSET:
            field_dict["offset"] = offset
        if page is not UNSET:
            field_dict["page"] = page

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cursor = d.pop("cursor", UNSET)

        offset = d.pop("offset", UNSET)

        page = d.pop("page", UNSET)

        consent_optouts_position = cls(
            cursor=cursor,
            offset=offset,
            page=page,
        )

        return consent_optouts_position

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MergeSummary")


@_attrs_define
class MergeSummary:
    """
    Attributes:
        list_memberships_moved (int): Lists the survivor joined (would join, with dry_run) because a duplicate was a
            member; the duplicates' own memberships are removed
        list_ids (list[str]): Those lists
    """

    list_memberships_moved: int
    list_ids: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        list_memberships_moved = self.list_memberships_moved

        list_ids = self.list_ids

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "list_memberships_moved": list_memberships_moved,
                "list_ids": list_ids,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        list_memberships_moved = d.pop("list_memberships_moved")

        list_ids = cast(list[str], d.pop("list_ids"))

        merge_summary = cls(
            list_memberships_moved=list_memberships_moved,
            list_ids=list_ids,
        )

        merge_summary.additional_properties = d
        return merge_summary

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MembersAdded")


@_attrs_define
class MembersAdded:
    """
    Attributes:
        added (int): Contacts that were not in the list and now are
        already_members (int):
        not_found (list[str]): Ids that name no live contact of this tenant (archived, erased, or another tenant's), as
            given
    """

    added: int
    already_members: int
    not_found: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        added = self.added

        already_members = self.already_members

        not_found = self.not_found

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "added": added,
                "already_members": already_members,
                "not_found": not_found,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        added = d.pop("added")

        already_members = d.pop("already_members")

        not_found = cast(list[str], d.pop("not_found"))

        members_added = cls(
            added=added,
            already_members=already_members,
            not_found=not_found,
        )

        members_added.additional_properties = d
        return members_added

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

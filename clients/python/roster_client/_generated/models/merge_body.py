from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="MergeBody")


@_attrs_define
class MergeBody:
    """
    Attributes:
        duplicate_ids (list[UUID]): Live contacts to merge in
        dry_run (bool | Unset): Return the result, change nothing Default: False.
    """

    duplicate_ids: list[UUID]
    dry_run: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        duplicate_ids = []
        for duplicate_ids_item_data in self.duplicate_ids:
            duplicate_ids_item = str(duplicate_ids_item_data)
            duplicate_ids.append(duplicate_ids_item)

        dry_run = self.dry_run

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "duplicate_ids": duplicate_ids,
            }
        )
        if dry_run is not UNSET:
            field_dict["dry_run"] = dry_run

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        duplicate_ids = []
        _duplicate_ids = d.pop("duplicate_ids")
        for duplicate_ids_item_data in _duplicate_ids:
            duplicate_ids_item = UUID(duplicate_ids_item_data)

            duplicate_ids.append(duplicate_ids_item)

        dry_run = d.pop("dry_run", UNSET)

        merge_body = cls(
            duplicate_ids=duplicate_ids,
            dry_run=dry_run,
        )

        return merge_body

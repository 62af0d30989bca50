from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.activity_batch_result import ActivityBatchResult


T = TypeVar("T", bound="ActivityBatchResponse")


@_attrs_define
class ActivityBatchResponse:
    """
    Attributes:
        total (int):
        created (int):
        duplicates (int):
        failed (int):
        results (list[ActivityBatchResult]):
    """

    total: int
    created: int
    duplicates: int
    failed: int
    results: list[ActivityBatchResult]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        total = self.total

        created = self.created

        duplicates = self.duplicates

        failed = self.failed

        results = []
        for results_item_data in self.results:
            results_item = results_item_data.to_dict()
            results.append(results_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "total": total,
                "created": created,
                "duplicates": duplicates,
                "failed": failed,
                "results": results,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.activity_batch_result import ActivityBatchResult

        d = dict(src_dict)
        total = d.pop("total")

        created = d.pop("created")

        duplicates = d.pop("duplicates")

        failed = d.pop("failed")

        results = []
        _results = d.pop("results")
        for results_item_data in _results:
            results_item = ActivityBatchResult.from_dict(results_item_data)

            results.append(results_item)

        activity_batch_response = cls(
            total=total,
            created=created,
            duplicates=duplicates,
            failed=failed,
            results=results,
        )

        activity_batch_response.additional_properties = d
        return activity_batch_response

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

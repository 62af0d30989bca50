from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.expression import Expression


T = TypeVar("T", bound="PreviewBody")


@_attrs_define
class PreviewBody:
    """
    Attributes:
        filter_ (Expression): A filter: exactly one of ``all``, ``any``, ``not``, or a condition (field/op/value).
    """

    filter_: Expression

    def to_dict(self) -> dict[str, Any]:
        filter_ = self.filter_.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "filter": filter_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.expression import Expression

        d = dict(src_dict)
        filter_ = Expression.from_dict(d.pop("filter"))

        preview_body = cls(
            filter_=filter_,
        )

        return preview_body

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.expression import Expression


T = TypeVar("T", bound="SegmentUpdate")


@_attrs_define
class SegmentUpdate:
    """
    Attributes:
        name (str | Unset):
        description (None | str | Unset):
        filter_ (Expression | Unset): A filter: exactly one of ``all``, ``any``, ``not``, or a condition
            (field/op/value).
    """

    name: str | Unset = UNSET
    description: None | str | Unset = UNSET
    filter_: Expression | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        filter_: dict[str, Any] | Unset = UNSET
        if not isinstance(self.filter_, Unset):
            filter_ = self.filter_.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if description is not UNSET:
            field_dict["description"] = description
        if filter_ is not UNSET:
            field_dict["filter"] = filter_

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.expression import Expression

        d = dict(src_dict)
        name = d.pop("name", UNSET)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        _filter_ = d.pop("filter", UNSET)
        filter_: Expression | Unset
        if isinstance(_filter_, Unset):
            filter_ = UNSET
        else:
            filter_ = Expression.from_dict(_filter_)

        segment_update = cls(
            name=name,
            description=description,
            filter_=filter_,
        )

        return segment_update

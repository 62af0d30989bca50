from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..models.bulk_action_body_action import BulkActionBodyAction
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.bulk_action_body_params import BulkActionBodyParams
    from ..models.expression import Expression


T = TypeVar("T", bound="BulkActionBody")


@_attrs_define
class BulkActionBody:
    """
    Attributes:
        action (BulkActionBodyAction):
        filter_ (Expression | None | Unset): Filter expression (docs/filters.md)
        segment_id (None | Unset | UUID): Contacts matching this segment's filter (AND filter); its filter is read when
            the job starts
        params (BulkActionBodyParams | Unset):
    """

    action: BulkActionBodyAction
    filter_: Expression | None | Unset = UNSET
    segment_id: None | Unset | UUID = UNSET
    params: BulkActionBodyParams | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.expression import Expression

        action = self.action.value

        filter_: dict[str, Any] | None | Unset
        if isinstance(self.filter_, Unset):
            filter_ = UNSET
        elif isinstance(self.filter_, Expression):
            filter_ = self.filter_.to_dict()
        else:
            filter_ = self.filter_

        segment_id: None | str | Unset
        if isinstance(self.segment_id, Unset):
            segment_id = UNSET
        elif isinstance(self.segment_id, UUID):
            segment_id = str(self.segment_id)
        else:
            segment_id = self.segment_id

        params: dict[str, Any] | Unset = UNSET
        if not isinstance(self.params, Unset):
            params = self.params.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "action": action,
            }
        )
        if filter_ is not UNSET:
            field_dict["filter"] = filter_
        if segment_id is not UNSET:
            field_dict["segment_id"] = segment_id
        if params is not UNSET:
            field_dict["params"] = params

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.bulk_action_body_params import BulkActionBodyParams
        from ..models.expression import Expression

        d = dict(src_dict)
        action = BulkActionBodyAction(d.pop("action"))

        def _parse_filter_(data: object) -> Expression | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                filter_type_0 = Expression.from_dict(data)

                return filter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Expression | None | Unset, data)

        filter_ = _parse_filter_(d.pop("filter", UNSET))

        def _parse_segment_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                segment_id_type_0 = UUID(data)

                return segment_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        segment_id = _parse_segment_id(d.pop("segment_id", UNSET))

        _params = d.pop("params", UNSET)
        params: BulkActionBodyParams | Unset
        if isinstance(_params, Unset):
            params = UNSET
        else:
            params = BulkActionBodyParams.from_dict(_params)

        bulk_action_body = cls(
            action=action,
            filter_=filter_,
            segment_id=segment_id,
            params=params,
        )

        return bulk_action_body

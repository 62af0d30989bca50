from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.expression_op_type_0 import ExpressionOpType0
from ..types import UNSET, Unset

T = TypeVar("T", bound="Expression")


@_attrs_define
class Expression:
    """A filter: exactly one of ``all``, ``any``, ``not``, or a condition (field/op/value).

    Attributes:
        all_ (list[Expression] | None | Unset): Every part matches
        any_ (list[Expression] | None | Unset): At least one matches
        not_ (Expression | None | Unset): The part does not match
        field (None | str | Unset): A contact field, tags, lists, custom_fields.<key>, preferences.<channel>,
            handles.<channel>, activity.last_at or activity.<type>.count
        op (ExpressionOpType0 | None | Unset):
        value (Any | Unset): Any JSON value; no string or key holds NUL (U+0000)
    """

    all_: list[Expression] | None | Unset = UNSET
    any_: list[Expression] | None | Unset = UNSET
    not_: Expression | None | Unset = UNSET
    field: None | str | Unset = UNSET
    op: ExpressionOpType0 | None | Unset = UNSET
    value: Any | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        all_: list[dict[str, Any]] | None | Unset
        if isinstance(self.all_, Unset):
            all_ = UNSET
        elif isinstance(self.all_, list):
            all_ = []
            for all_type_0_item_data in self.all_:
                all_type_0_item = all_type_0_item_data.to_dict()
                all_.append(all_type_0_item)

        else:
            all_ = self.all_

        any_: list[dict[str, Any]] | None | Unset
        if isinstance(self.any_, Unset):
            any_ = UNSET
        elif isinstance(self.any_, list):
            any_ = []
            for any_type_0_item_data in self.any_:
                any_type_0_item = any_type_0_item_data.to_dict()
                any_.append(any_type_0_item)

        else:
            any_ = self.any_

        not_: dict[str, Any] | None | Unset
        if isinstance(self.not_, Unset):
            not_ = UNSET
        elif isinstance(self.not_, Expression):
            not_ = self.not_.to_dict()
        else:
            not_ = self.not_

        field: None | str | Unset
        if isinstance(self.field, Unset):
            field = UNSET
        else:
            field = self.field

        op: None | str | Unset
        if isinstance(self.op, Unset):
            op = UNSET
        elif isinstance(self.op, ExpressionOpType0):
            op = self.op.value
        else:
            op = self.op

        value = self.value

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if all_ is not UNSET:
            field_dict["all"] = all_
        if any_ is not UNSET:
            field_dict["any"] = any_
        if not_ is not UNSET:
            field_dict["not"] = not_
        if field is not UNSET:
            field_dict["field"] = field
        if op is not UNSET:
            field_dict["op"] = op
        if value is not UNSET:
            field_dict["value"] = value

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_all_(data: object) -> list[Expression] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                all_type_0 = []
                _all_type_0 = data
                for all_type_0_item_data in _all_type_0:
                    all_type_0_item = Expression.from_dict(all_type_0_item_data)

                    all_type_0.append(all_type_0_item)

                return all_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Expression] | None | Unset, data)

        all_ = _parse_all_(d.pop("all", UNSET))

        def _parse_any_(data: object) -> list[Expression] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                any_type_0 = []
                _any_type_0 = data
                for any_type_0_item_data in _any_type_0:
                    any_type_0_item = Expression.from_dict(any_type_0_item_data)

                    any_type_0.append(any_type_0_item)

                return any_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Expression] | None | Unset, data)

        any_ = _parse_any_(d.pop("any", UNSET))

        def _parse_not_(data: object) -> Expression | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_0 = Expression.from_dict(data)

                return not_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Expression | None | Unset, data)

        not_ = _parse_not_(d.pop("not", UNSET))

        def _parse_field(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        field = _parse_field(d.pop("field", UNSET))

        def _parse_op(data: object) -> ExpressionOpType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                op_type_0 = ExpressionOpType0(data)

                return op_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ExpressionOpType0 | None | Unset, data)

        op = _parse_op(d.pop("op", UNSET))

        value = d.pop("value", UNSET)

        expression = cls(
            all_=all_,
            any_=any_,
            not_=not_,
            field=field,
            op=op,
            value=value,
        )

        return expression

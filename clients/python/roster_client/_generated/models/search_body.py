from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.search_body_sort import SearchBodySort
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.expression import Expression


T = TypeVar("T", bound="SearchBody")


@_attrs_define
class SearchBody:
    """A filtered, sorted page of live contacts.

    Attributes:
        filter_ (Expression | None | Unset): A filter expression (docs/filters.md)
        q (None | str | Unset): Case-insensitive substring of name, first/last name, email, company or phone digits
        sort (SearchBodySort | Unset):  Default: SearchBodySort.CREATED_AT_DESC.
        limit (int | None | Unset): 1..100, default 50
        cursor (None | str | Unset): next_cursor of the previous page
        include_total (bool | Unset): Add the exact count as `total` Default: False.
    """

    filter_: Expression | None | Unset = UNSET
    q: None | str | Unset = UNSET
    sort: SearchBodySort | Unset = SearchBodySort.CREATED_AT_DESC
    limit: int | None | Unset = UNSET
    cursor: None | str | Unset = UNSET
    include_total: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        from ..models.expression import Expression

        filter_: dict[str, Any] | None | Unset
        if isinstance(self.filter_, Unset):
            filter_ = UNSET
        elif isinstance(self.filter_, Expression):
            filter_ = self.filter_.to_dict()
        else:
            filter_ = self.filter_

        q: None | str | Unset
        if isinstance(self.q, Unset):
            q = UNSET
        else:
            q = self.q

        sort: str | Unset = UNSET
        if not isinstance(self.sort, Unset):
            sort = self.sort.value

        limit: int | None | Unset
        if isinstance(self.limit, Unset):
            limit = UNSET
        else:
            limit = self.limit

        cursor: None | str | Unset
        if isinstance(self.cursor, Unset):
            cursor = UNSET
        else:
            cursor = self.cursor

        include_total = self.include_total

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if filter_ is not UNSET:
            field_dict["filter"] = filter_
        if q is not UNSET:
            field_dict["q"] = q
        if sort is not UNSET:
            field_dict["sort"] = sort
        if limit is not UNSET:
            field_dict["limit"] = limit
        if cursor is not UNSET:
            field_dict["cursor"] = cursor
        if include_total is not UNSET:
            field_dict["include_total"] = include_total

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.expression import Expression

        d = dict(src_dict)

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

        def _parse_q(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        q = _parse_q(d.pop("q", UNSET))

        _sort = d.pop("sort", UNSET)
        sort: SearchBodySort | Unset
        if isinstance(_sort, Unset):
            sort = UNSET
        else:
            sort = SearchBodySort(_sort)

        def _parse_limit(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        limit = _parse_limit(d.pop("limit", UNSET))

        def _parse_cursor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cursor = _parse_cursor(d.pop("cursor", UNSET))

        include_total = d.pop("include_total", UNSET)

        search_body = cls(
            filter_=filter_,
            q=q,
            sort=sort,
            limit=limit,
            cursor=cursor,
            include_total=include_total,
        )

        return search_body

"""The filter language: one JSON expression for search, segments, exports and bulk actions,
and the query-string filters of ``GET /v1/contacts`` parsed into the same tree.

``parse`` validates an expression (422 naming the path of every bad part); ``compile_filter``
turns it into a SQLAlchemy condition over ``contacts`` for either engine; ``query.parse``
reads a query string (400 naming the parameter); ``listing`` pages the contacts a filter
selects, planned per engine by ``repository.plans``.
"""

from roster.filters.compile import compile_filter
from roster.filters.schema import Expression, Filter, parse

__all__ = ["Expression", "Filter", "compile_filter", "parse"]

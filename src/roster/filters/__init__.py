"""The filter language: one JSON expression for search, segments, exports and bulk actions.

``parse`` validates an expression (422 naming the path of every bad part); ``compile_filter``
turns it into a SQLAlchemy condition over ``contacts`` for either engine.
"""

from roster.filters.compile import compile_filter
from roster.filters.schema import Expression, Filter, parse

__all__ = ["Expression", "Filter", "compile_filter", "parse"]

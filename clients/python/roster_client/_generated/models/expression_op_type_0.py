from enum import StrEnum


class ExpressionOpType0(StrEnum):
    BETWEEN = "between"
    CONTAINS = "contains"
    ENDS_WITH = "ends_with"
    EQ = "eq"
    EXISTS = "exists"
    GT = "gt"
    GTE = "gte"
    HAS = "has"
    HAS_ALL = "has_all"
    HAS_ANY = "has_any"
    HAS_NONE = "has_none"
    IN = "in"
    LT = "lt"
    LTE = "lte"
    NEQ = "neq"
    NOT_EXISTS = "not_exists"
    NOT_IN = "not_in"
    NOT_WITHIN_LAST = "not_within_last"
    STARTS_WITH = "starts_with"
    WITHIN_LAST = "within_last"

    def __str__(self) -> str:
        return str(self.value)

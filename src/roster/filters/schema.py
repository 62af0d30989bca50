"""The filter expression: its pydantic schema, structural checks and limits.

An expression is a condition ``{"field", "op", "value"}`` or a group: ``{"all": [...]}``,
``{"any": [...]}`` (lists) or ``{"not": <expression>}`` (one). Every problem is reported with
the path of the part at fault (``filter.all[1].value``) as a 422 ``validation_error``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from roster.errors import FieldProblem, ValidationFailed
from roster.filters import catalogue, values
from roster.filters.catalogue import Op

MAX_DEPTH = 5
MAX_CONDITIONS = 50


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("filter", message)


_ABSENT = {"type": "null"}  # a part that is left out or null


def _form(kind: str | None) -> dict[str, Any]:
    """The document's branch for one form of an expression (``_one_form`` checks them)."""
    groups = {"all": {"type": "array"}, "any": {"type": "array"}, "not": {"type": "object"}}
    if kind is None:
        present = {"field": {"type": "string"}, "op": {"type": "string"}}
        return {
            "required": ["field", "op"],
            "properties": {**present, **dict.fromkeys(groups, _ABSENT)},
        }
    others = {name: _ABSENT for name in [*groups, "field", "op"] if name != kind}
    return {
        "required": [kind],
        "properties": {kind: groups[kind], **others},
        "not": {"required": ["value"]},  # value belongs to a condition
    }


class Expression(BaseModel):
    """A filter: exactly one of ``all``, ``any``, ``not``, or a condition (field/op/value)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "oneOf": [_form("all"), _form("any"), _form("not"), _form(None)],
            "examples": [
                {
                    "all": [
                        {"field": "tags", "op": "has_any", "value": ["vip", "premium"]},
                        {"field": "custom_fields.lifetime_value", "op": "gte", "value": 1000},
                        {"not": {"field": "preferences.sms", "op": "eq", "value": "opted_out"}},
                    ]
                }
            ],
        },
    )

    all_: list[Expression] | None = Field(
        default=None, alias="all", max_length=MAX_CONDITIONS, description="Every part matches"
    )
    any_: list[Expression] | None = Field(
        default=None, alias="any", max_length=MAX_CONDITIONS, description="At least one matches"
    )
    not_: Expression | None = Field(
        default=None, alias="not", description="The part does not match"
    )
    field: str | None = Field(
        default=None,
        max_length=200,
        description="A contact field, tags, lists, custom_fields.<key>, preferences.<channel>, "
        "handles.<channel>, activity.last_at or activity.<type>.count",
    )
    op: Op | None = None
    value: Any = Field(default=None, description="Depends on the field and op")

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str | None) -> str | None:
        if name is not None and catalogue.resolve(name) is None:
            raise _problem(f"unknown field; use {catalogue.field_hint()}")
        return name

    @field_validator("op")
    @classmethod
    def _op_fits_field(cls, op: str | None, info: ValidationInfo) -> str | None:
        name = info.data.get("field")
        field = catalogue.resolve(name) if name else None
        if op is not None and field is not None:
            allowed = catalogue.OPS_BY_KIND[field.kind]
            if op not in allowed:
                raise _problem(
                    f"op {op} does not apply to {field.name}; use one of "
                    + ", ".join(sorted(allowed))
                )
        return op

    @field_validator("value")
    @classmethod
    def _value_fits(cls, value: Any, info: ValidationInfo) -> Any:
        name, op = info.data.get("field"), info.data.get("op")
        field = catalogue.resolve(name) if name else None
        if field is not None and op is not None:
            try:
                values.check(field, op, value)
            except ValueError as exc:
                raise _problem(str(exc)) from None
        return value  # kept as written: the compiler converts it again

    @model_validator(mode="after")
    def _one_form(self) -> Expression:
        forms = [
            self.all_ is not None,
            self.any_ is not None,
            self.not_ is not None,
            self.field is not None or self.op is not None,
        ]
        if sum(forms) != 1:
            raise _problem("give exactly one of all, any, not, or a condition {field, op, value}")
        if forms[3] and (self.field is None or self.op is None):
            raise _problem("a condition needs both field and op")
        if not forms[3] and "value" in self.model_fields_set:
            raise _problem("value belongs to a condition, not to a group")
        return self

    def is_condition(self) -> bool:
        return self.field is not None

    def dump(self) -> dict[str, Any]:
        """The expression as JSON, as the client wrote it (groups by their wire names)."""
        if self.all_ is not None:
            return {"all": [part.dump() for part in self.all_]}
        if self.any_ is not None:
            return {"any": [part.dump() for part in self.any_]}
        if self.not_ is not None:
            return {"not": self.not_.dump()}
        body: dict[str, Any] = {"field": self.field, "op": self.op}
        if "value" in self.model_fields_set:
            body["value"] = self.value
        return body


def walk(expr: Expression, path: str = "") -> Iterator[tuple[Expression, str, int]]:
    """Every node with its path and group depth (the root group is depth 1)."""
    stack: list[tuple[Expression, str, int]] = [(expr, path, 0)]
    while stack:
        node, where, depth = stack.pop()
        yield node, where, depth
        for name, parts in (("all", node.all_), ("any", node.any_)):
            for index, part in enumerate(parts or ()):
                stack.append(
                    (part, f"{where}.{name}[{index}]" if where else f"{name}[{index}]", depth + 1)
                )
        if node.not_ is not None:
            stack.append((node.not_, f"{where}.not" if where else "not", depth + 1))


def limit_problems(expr: Expression, prefix: str = "filter") -> list[FieldProblem]:
    """Depth ≤ 5 groups and ≤ 50 conditions."""
    problems: list[FieldProblem] = []
    conditions = 0
    for node, where, depth in walk(expr, prefix):
        if node.is_condition():
            conditions += 1
        elif depth + 1 > MAX_DEPTH:
            problems.append(FieldProblem(where, f"groups nest at most {MAX_DEPTH} deep"))
    if conditions > MAX_CONDITIONS:
        problems.append(
            FieldProblem(prefix, f"at most {MAX_CONDITIONS} conditions (found {conditions})")
        )
    return problems


def _within_limits(expr: Expression) -> Expression:
    problems = limit_problems(expr, "")
    if problems:
        raise _problem("; ".join(p.message for p in problems[:1]))
    return expr


Filter = Annotated[Expression, AfterValidator(_within_limits)]
"""A request-body field holding a filter: the schema plus the depth and size limits."""

RawFilter = Annotated[dict[str, Any], WithJsonSchema({"$ref": "#/components/schemas/Expression"})]
"""A filter a route keeps as JSON and checks itself (``parse``), documented as one."""


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int) or str(part).isdigit():
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "filter"


def parse(raw: Any, prefix: str = "filter") -> Expression:
    """Validate a filter given as JSON data; ``ValidationFailed`` names every bad part."""
    if isinstance(raw, Expression):
        expr = raw
    else:
        if not isinstance(raw, Mapping):
            raise ValidationFailed.one(prefix, "must be an object: a condition or a group")
        try:
            expr = Expression.model_validate(raw)
        except ValidationError as exc:
            raise ValidationFailed(
                [
                    FieldProblem(_path(prefix, tuple(e["loc"])), _message(e))
                    for e in exc.errors(include_url=False)
                ]
            ) from None
    problems = limit_problems(expr, prefix)
    if problems:
        raise ValidationFailed(problems)
    return expr


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    return str(error.get("msg", "invalid"))

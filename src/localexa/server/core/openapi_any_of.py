"""Bodies whose fields depend on one another, described so that client generators read them.

A rule such as "a fault needs a status or a delay" is an `anyOf` of small branches beside the
object's `properties` (`{"anyOf": [{"required": ["status"]}, …], "properties": {…}}`). That is
valid JSON Schema, but openapi-python-client turns such a schema into a union of the branches
alone and drops the shared fields (`DirectiveInType0(user_id=…)` was a TypeError). `whole_branches`
makes each branch the whole object, every property the body takes with the branch's narrowing
merged in, so a generator's union members carry every field; the object's own `properties` stay,
so the schema accepts exactly what it did.

An object inside such a branch (a directive's `payload`) must be a component, not written out:
openapi-python-client builds a union member's model twice, once with the union and once in its
pass over models, and a model nested in the member (named after it: `EndpointDirectiveInPayload`)
met itself the second time ("Attempted to generate duplicate models"), so it dropped all three
`DirectiveIn_*` branches until 2026-12-06. `AsComponent` makes a field's value a component.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

#: How a branch's keyword combines with the property's own: the stricter bound wins.
_TIGHTER: dict[str, Callable[[Any, Any], Any]] = {
    "minimum": max,
    "minLength": max,
    "maximum": min,
    "maxLength": min,
}


def whole_branches(branches: list[dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` of a model: its schema's `anyOf` is `branches` (each a `required` list
    and the `properties` it narrows, optionally a `title`), each made the whole object."""

    def complete(schema: dict[str, Any]) -> None:
        properties: dict[str, Any] = schema.get("properties", {})
        required: list[str] = schema.get("required", [])
        schema["anyOf"] = [_whole(branch, properties, required, schema) for branch in branches]

    return complete


def _whole(
    branch: dict[str, Any], properties: dict[str, Any], required: list[str], schema: dict[str, Any]
) -> dict[str, Any]:
    narrowed: dict[str, Any] = branch.get("properties", {})
    whole: dict[str, Any] = {"type": "object"}
    if "title" in branch:
        whole["title"] = branch["title"]
    whole["properties"] = {
        name: _narrow(name, field, narrowed[name]) if name in narrowed else copy.deepcopy(field)
        for name, field in properties.items()
    }
    whole["required"] = list(dict.fromkeys([*required, *branch.get("required", [])]))
    if "additionalProperties" in schema:
        whole["additionalProperties"] = schema["additionalProperties"]
    return whole


def _narrow(name: str, field: dict[str, Any], narrowing: dict[str, Any]) -> dict[str, Any]:
    """`field` with `narrowing` applied: one of its `anyOf` types picked (a nullable `int | None`
    the branch requires as an integer), bounds tightened, other keywords added. A keyword that
    would contradict the field's raises, when the app is built, rather than change what is taken."""
    merged = copy.deepcopy(field)
    merged.pop("default", None)  # the branch requires the field: a default says nothing, `null` misleads
    kind = narrowing.get("type")
    if kind is not None and "anyOf" in merged:
        options = [option for option in merged.pop("anyOf") if option.get("type") == kind]
        if len(options) != 1:
            raise ValueError(f"{name}: the branch's type {kind} is not one of the field's")
        merged.update(options[0])
    for keyword, value in narrowing.items():
        if keyword in _TIGHTER and keyword in merged:
            merged[keyword] = _TIGHTER[keyword](merged[keyword], value)
        elif keyword in merged and merged[keyword] != value:
            raise ValueError(f"{name}: the branch's {keyword} contradicts the field's")
        else:
            merged[keyword] = value
    return merged


class AsComponent:
    """`Annotated[dict[str, Any], AsComponent("DirectivePayload")]`: the value's schema is the
    component `name` (its title too, the name a generator gives the model), referenced by `$ref`
    where the field is. Validation is the annotated type's own."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # A core schema with a `ref` is a definition of its own: pydantic writes it to `$defs`
        # (FastAPI: `components.schemas`) and refers to it.
        return {**handler(source), "ref": self.name}

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        shown = handler(schema)
        handler.resolve_ref_schema(shown)["title"] = self.name
        return shown

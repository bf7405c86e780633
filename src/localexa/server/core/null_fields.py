"""`null` for an optional field of a request body is the field left out.

A client generated from the OpenAPI document (or written by hand) often sends every field it does
not set as `null`. The admin API refused `"permissions": null`, `"stages": null` or
`"redirectUris": null` with "Input should be a valid list", while it took `"accountLinking": null`
and `"postalCode": null`, which the model happens to declare nullable (QA of 2026-12-06): a field
the contract calls optional or defaulted now takes `null` as absent, with its default. A required
field's `null` is still refused. Applied per model, at its top level only: values inside a field
(a directive's payload, say) keep their nulls.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

_DEFAULTED: dict[type[BaseModel], frozenset[str]] = {}


def _defaulted(model: type[BaseModel]) -> frozenset[str]:
    """The names and aliases of `model`'s fields that have a default."""
    found = _DEFAULTED.get(model)
    if found is None:
        names = set()
        for name, info in model.model_fields.items():
            if not info.is_required():
                names.add(name)
                if info.alias:
                    names.add(info.alias)
        found = _DEFAULTED[model] = frozenset(names)
    return found


def drop_defaulted_nulls(model: type[BaseModel], data: Any) -> Any:
    """`data` without the `null`s of fields that have a default (a `mode="before"` validator's
    body: `return drop_defaulted_nulls(cls, data)`)."""
    if not isinstance(data, dict) or None not in data.values():
        return data
    defaulted = _defaulted(model)
    return {key: value for key, value in data.items() if value is not None or key not in defaulted}


def _takes_null(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "null" or (isinstance(schema.get("type"), list) and "null" in schema["type"]):
        return True
    return any(isinstance(branch, dict) and _takes_null(branch) for branch in schema.get("anyOf", []))


class NullMeansAbsent(BaseModel):
    """A request body whose defaulted fields take `null` as left out; its JSON schema (the OpenAPI
    document) says they take `null`, so a client generated from it, and schemathesis, agree."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        return drop_defaulted_nulls(cls, data)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        defaulted = sorted(_defaulted(cls))  # names and aliases: the schema is keyed by either
        _say_null(target.get("properties", {}), defaulted)
        # The whole-body branches of core/openapi_any_of.py (FaultIn, DirectiveIn) copied the
        # properties before this ran: each says null too, but for a field the branch requires
        # (the FailingFaultIn branch's `status`), whose null is absent and fails the branch.
        for branch in target.get("anyOf", []):
            if isinstance(branch, dict) and "properties" in branch:
                required = set(branch.get("required", []))
                _say_null(branch["properties"], [key for key in defaulted if key not in required])
        return schema


def _say_null(properties: dict[str, Any], keys: list[str]) -> None:
    """Make each of `keys` in `properties` take `null` too (in place)."""
    for key in keys:
        shown = properties.get(key)
        if not isinstance(shown, dict) or _takes_null(shown):
            continue
        # As pydantic shows an optional field: the annotations outside, the value's schema in.
        outer = {k: shown.pop(k) for k in ("title", "description", "default") if k in shown}
        properties[key] = {**outer, "anyOf": [shown, {"type": "null"}]}

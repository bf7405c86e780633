"""Request bodies that routes read themselves: as JSON whatever their Content-Type, after the
token and the rate limit.

A route that lets FastAPI parse its body answers 400 for a broken body before it checks the token
(Amazon's gateway answers 401 first), and refuses `curl -d '{…}'`, which is labelled as a form. The
request guard checks JSON-labelled bodies for U+0000 and lone surrogates; a body read here is
checked for them whatever its label (a form-labelled one was stored on SQLite). A body in UTF-16
or UTF-32 is refused as not UTF-8 (RFC 8259 §8.1), by both.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from localexa.server.core import strict_json
from localexa.server.core.errors import BadRequest, ValidationFailed
from localexa.server.core.request_guard import SURROGATE_MESSAGE, body_nul_message, holds_nul

M = TypeVar("M", bound=BaseModel)

#: How much of a repeated field's name a 400 shows.
_NAME_CHARS = 64

NOT_FINITE_MESSAGE = (
    "The request body is not valid JSON: a number is not finite (NaN, Infinity, or beyond ±1.8e308 "
    "such as 1e400)."
)


def json_object(raw: bytes, *, shape: str, error: type[BadRequest] = BadRequest) -> dict[str, Any]:
    """The JSON object in `raw`; else `error` (a 400) saying what is wrong, with `shape` (the body
    expected, as `{"stage": …}`) where the body is missing or not an object."""
    if not raw.strip():
        raise error(f"The request body is required: {shape}.")
    if holds_nul(raw, form=False):
        # UTF-16 or UTF-32 (which strict_json would read) has NUL bytes beside its ASCII
        # characters: refused as not UTF-8 (RFC 8259 §8.1), not as holding a U+0000 it has not.
        raise error(body_nul_message(raw))
    try:
        body = strict_json.loads(raw, unique_keys=True)
    except strict_json.LoneSurrogate:
        raise error(SURROGATE_MESSAGE) from None
    except strict_json.RepeatedKey as repeated:
        # Two values for one field (two network keys, two stages): refused, not the last taken.
        # The name is the client's text, any length: cut short (one of 500,000 characters was echoed).
        name = repeated.name if len(repeated.name) <= _NAME_CHARS else f"{repeated.name[:_NAME_CHARS]}…"
        raise error(f"The request body gives the field {name} more than once.") from None
    except strict_json.NonFiniteNumber:
        raise error(NOT_FINITE_MESSAGE) from None
    except strict_json.TooDeep:
        raise error(strict_json.TOO_DEEP_MESSAGE) from None
    except strict_json.TooLongNumber:
        raise error(strict_json.too_long_number_message()) from None
    except ValueError:  # UnicodeDecodeError and the rest: ValueErrors all
        raise error("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise error(f"The request body must be a JSON object: {shape}.")
    return body


#: pydantic's errors for a value that should have been an object name the model's class ("a valid
#: dictionary or instance of EndpointRef"): an implementation name, said in the API's words instead.
_OBJECT_ERRORS = frozenset({"model_type", "dataclass_type", "dict_type", "model_attributes_type"})
OBJECT_EXPECTED = "Input should be a JSON object"


def field_message(error_type: str, message: str) -> str:
    """pydantic's `message` for an error of `error_type`, without the model class it may name."""
    return OBJECT_EXPECTED if error_type in _OBJECT_ERRORS else message


def smapi_model(model: type[M], raw: bytes, *, shape: str) -> M:
    """The SMAPI body `raw` as `model`; a 400 BadRequestError whose `violations` name each broken
    field. Each violation's code is the error's own, INVALID_REQUEST (accountLinkingClient said
    INVALID_REQUEST_PARAMETER in its violations under an INVALID_REQUEST `code`)."""
    body = json_object(raw, shape=shape, error=ValidationFailed)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        violations = []
        for err in exc.errors():
            where = ".".join(str(part) for part in err["loc"])
            text = field_message(err["type"], err["msg"])
            message = f"{where}: {text}" if where else text
            violations.append({"code": ValidationFailed.default_code, "message": message})
        raise ValidationFailed(violations[0]["message"], violations) from None


def inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` inlined, for a request body documented by hand in
    the OpenAPI document: `$defs` would not resolve inside `paths`."""
    defs: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined

"""The base of the skill kit's ErrorResponse exceptions, and the builder behind them (errors.py,
interface_errors.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from localexa.error_pickling import reduce_error
from localexa.skill.messages.errors import ErrorPayload, ErrorType, error_namespace
from localexa.skill.responses import DirectiveLike, Message, reply


def error_response(
    directive: DirectiveLike,
    error_type: ErrorType | str,
    message: str,
    *,
    namespace: str | None = None,
    scope_token: str | None = None,
    **extras: Any,
) -> Message:
    """An ErrorResponse answering `directive`; `extras` are the type's extra payload fields
    (camelCase, e.g. `validRange=...`). Raises ValueError when the type needs a field not given."""
    kind = ErrorType(error_type)
    payload = {"type": kind.value, "message": message, **extras}
    ErrorPayload.model_validate(payload)  # refuse a payload the schema would refuse
    return reply(
        directive, namespace or error_namespace(kind), "ErrorResponse", payload, scope_token=scope_token
    )


class SkillError(Exception):
    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without calling __init__, which may take more than the message (error_pickling.py).
        return reduce_error(self)

    type: ClassVar[ErrorType] = ErrorType.INTERNAL_ERROR
    default_message: ClassVar[str] = "The skill could not handle the directive."
    #: The header namespace; None: `error_namespace(type)` (a type of one interface or generic).
    namespace: ClassVar[str | None] = None

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def extras(self) -> dict[str, Any]:
        """The type's extra payload fields, camelCase."""
        return {}

    def response(self, directive: DirectiveLike, *, scope_token: str | None = None) -> Message:
        return error_response(
            directive,
            self.type,
            self.message,
            namespace=self.namespace,
            scope_token=scope_token,
            **self.extras(),
        )

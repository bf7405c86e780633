"""What is wrong with a message, one `Problem` per finding, with the JSON path it concerns."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

#: pydantic's errors for a value that should have been an object name the model's class ("a valid
#: dictionary or instance of EventEndpoint"): an implementation name, said in the API's words instead.
OBJECT_ERRORS = frozenset({"model_type", "dataclass_type", "dict_type", "model_attributes_type"})
OBJECT_EXPECTED = "Input should be a JSON object"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def field_message(error_type: str, message: str) -> str:
    """pydantic's `message` for an error of `error_type`, without the model class it may name."""
    return OBJECT_EXPECTED if error_type in OBJECT_ERRORS else message


def from_validation_error(error: ValidationError, prefix: str) -> list[Problem]:
    """One Problem per pydantic error; paths use the wire (camelCase) names, messages no class
    names (the gateway's 400 said "instance of Header"; QA of 2026-12-07)."""
    problems = []
    for item in error.errors(include_url=False):
        parts = [prefix, *(str(p) for p in item["loc"])]
        problems.append(Problem(".".join(p for p in parts if p), field_message(item["type"], item["msg"])))
    return problems

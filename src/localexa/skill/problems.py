"""What is wrong with a message, one `Problem` per finding, with the JSON path it concerns."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def from_validation_error(error: ValidationError, prefix: str) -> list[Problem]:
    """One Problem per pydantic error; paths use the wire (camelCase) names."""
    problems = []
    for item in error.errors(include_url=False):
        parts = [prefix, *(str(p) for p in item["loc"])]
        problems.append(Problem(".".join(p for p in parts if p), item["msg"]))
    return problems

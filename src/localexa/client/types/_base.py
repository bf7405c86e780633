"""Base classes of the client's wire models (separate from the server's schemas, by design)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A camelCase JSON object with snake_case attributes.

    Unknown fields are kept (`extra="allow"`), so a server that adds fields never breaks a client.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class SnakeModel(BaseModel):
    """A JSON object whose wire names are already snake_case (LWA's OAuth 2.0 bodies)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

"""schemathesis hooks of the fuzz test (test_openapi_fuzz.py loads this file through
SCHEMATHESIS_HOOKS).

`POST /_localexa/directives` names its customer and skill in the body, where the run's
`[parameters]` (path and query only) cannot pin them: with random ids every call ended at "No
customer …". Here a body whose `userId` and `skillId` are already valid strings gets the linked
customer's and the skill's ids instead, so the directive is built, sent to the skill's endpoint
and its answer judged. A body that breaks the schema in those fields is left alone, so a negative
case stays negative.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

#: The lengths the document allows (directives/schemas.py `DirectiveIn`).
_LIMITS = {"userId": ("FUZZ_USER_ID", 128), "skillId": ("FUZZ_SKILL_ID", 255)}


@schemathesis.hook.apply_to(path="/_localexa/directives", method="POST")  # type: ignore[attr-defined, untyped-decorator]
def map_body(_context: Any, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    for field, (variable, longest) in _LIMITS.items():
        value = body.get(field)
        real = os.environ.get(variable)
        if real and isinstance(value, str) and 1 <= len(value) <= longest:
            body[field] = real
    return body

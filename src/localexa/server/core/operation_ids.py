"""Each operation's `operationId` in the OpenAPI document: its handler's name in camelCase
(`get_account_linking_info` → `getAccountLinkingInfo`).

FastAPI's own ids join the handler's name, the path and the method
(`get_capability_evaluation_results_v1_skills__skill_id__smartHome_testing_…_results_get`, up to
122 characters): a client generated from the document named its calls after them, and every
path change renamed them. A handler's name is short and says what the call does; the document's
test (tests/fuzz/test_openapi_clients.py) keeps the ids unique.
"""

from __future__ import annotations

from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    """FastAPI's `generate_unique_id_function`: the camelCase of the route's handler name."""
    first, *rest = route.name.strip("_").split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest if word)

"""The console's table pages: which table each shows, its columns, filters and links.

Each page names candidate table names (the first that exists in `db.models.metadata` wins), so
a page whose area has not landed yet says "not available yet" instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TablePage:
    slug: str
    title: str
    candidates: tuple[str, ...]
    columns: tuple[str, ...] | None = None
    #: Query parameters that filter rows (exact match on the column of the same name).
    filters: tuple[str, ...] = ()
    #: Cells that link somewhere: column -> URL template with `{}` for the value.
    links: dict[str, str] = field(default_factory=dict)
    hint: str = ""


JOURNAL_BY_CUSTOMER = "/console/journal?customer={}"
JOURNAL_BY_SKILL = "/console/journal?skill={}"

TABLE_PAGES: tuple[TablePage, ...] = (
    TablePage(
        "customers",
        "Customers",
        ("customers",),
        ("id", "name", "email", "region", "postal_code", "created_at"),
        filters=("region",),
        links={"id": JOURNAL_BY_CUSTOMER},
        hint="Amazon accounts. Create them with POST /_localexa/customers; a user id opens its journal.",
    ),
    TablePage(
        "vendors",
        "Vendors",
        ("vendors",),
        ("id", "name", "owner_user_id", "created_at"),
        links={"owner_user_id": JOURNAL_BY_CUSTOMER},
        hint="Developer organisations; the owner manages the vendor's skills.",
    ),
    TablePage(
        "skills",
        "Skills",
        ("skills",),
        (
            "id",
            "name",
            "vendor_id",
            "stages",
            "endpoint",
            "regional_endpoints",
            "permissions",
            "messaging_client_id",
            "alexa_client_id",
            "account_linking",
            "created_at",
        ),
        filters=("vendor_id",),
        links={"id": JOURNAL_BY_SKILL},
        hint=(
            "Smart home skills: endpoint (and each region's own), permissions, messaging client, Alexa "
            "client (app-to-app account linking; its secret: GET /_localexa/skills/{id}) and account "
            "linking."
        ),
    ),
    TablePage(
        "lwa-clients",
        "LWA clients",
        ("lwa_clients",),
        ("client_id", "name", "redirect_uris", "skill_id", "created_at"),
        filters=("skill_id",),
        hint=(
            "Login with Amazon security profiles; a skill id marks a skill's messaging client (a "
            "skill's Alexa client has none: the skills page names it)."
        ),
    ),
    TablePage(
        "enablements",
        "Enablements",
        ("enablements", "skill_enablements"),
        filters=("skill_id", "customer_id", "link_status", "stage"),
        links={"skill_id": JOURNAL_BY_SKILL, "customer_id": JOURNAL_BY_CUSTOMER},
        hint="Which customer enabled which skill, and the account link's status. Tokens stay sealed.",
    ),
    TablePage(
        "thread-networks",
        "Thread networks",
        ("thread_networks",),
        filters=("user_id", "extended_pan_id"),
        links={"user_id": JOURNAL_BY_CUSTOMER, "created_by_skill_id": JOURNAL_BY_SKILL},
        hint="Credential Locker. Network keys and PSKc are sealed and shown masked.",
    ),
    TablePage(
        "evaluations",
        "Evaluations",
        ("capability_evaluations", "evaluations", "evaluation_runs"),
        (
            "id",
            "skill_id",
            "stage",
            "endpoint_id",
            "test_plan_id",
            "status",
            "total_cases",
            "error_code",
            "error_message",
            "created_at",
            "ended_at",
        ),
        filters=("skill_id", "status"),
        links={"id": "/console/evaluations?evaluation_id={}#results", "skill_id": JOURNAL_BY_SKILL},
        hint="Capability evaluation runs. Click a run's id for its test case results below.",
    ),
)

#: Shown under the evaluations page, filtered by `?evaluation_id=`.
EVALUATION_RESULTS = ("capability_test_case_results", "evaluation_results", "test_case_results")
EVALUATION_RESULT_COLUMNS = ("evaluation_id", "ordinal", "name", "status", "error", "directive")

PAGES_BY_SLUG = {page.slug: page for page in TABLE_PAGES}

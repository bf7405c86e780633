"""Rules of the Smart Home Capability Evaluation API (spec alexa-api-surface.md §2).

Who may call: developers of the skill's vendor (SMAPI rules, `SkillService.skill_for_developer`):
an unknown skill is 404, another vendor's 403. A run uses the caller's own Amazon account, as
Amazon's prerequisites say ("the skill is enabled in the Alexa app, the account is linked, and
the device was discovered"); those are checked when the run starts (runner.py), so a missing one
is a run that ends in ERROR with its code, not a refused POST.

POST answers 200 with the run's id at once; the run is a job any server process picks up
(worker.py). A second run for an endpoint whose run is still going is 409 in the `Error` shape.
An unknown test plan id is also a run in ERROR (NO_SUCH_TEST_PLAN), since that code belongs to
`SHCapabilityErrorCode`, the run's error enum.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.auth import Principal
from localexa.server.core.clock import Clock, as_utc, iso
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest, NotFound
from localexa.server.core.message_parts import Parts, named
from localexa.server.core.pagination import (
    PageBinding,
    PageRequest,
    PageSize,
    PageTokenCodec,
    fetch_keyset_page,
    fresh_page_token,
    read_page_request,
)
from localexa.server.evaluation.models import (
    ERROR,
    FAILED,
    FINISHED,
    PASSED,
    PENDING,
    CapabilityEvaluation,
    CapabilityTestCaseResult,
)
from localexa.server.evaluation.plans import all_plans, plan_by_id
from localexa.server.evaluation.repository import EvaluationRepository, active_key
from localexa.server.evaluation.schemas import (
    MAX_OFFSET,
    MAX_RESULTS,
    STAGES,
    CapabilityError,
    EndpointRef,
    EvaluationList,
    EvaluationRequest,
    EvaluationStarted,
    EvaluationSummary,
    EvaluationView,
    Metrics,
    NextToken,
    PaginationContext,
    ResultList,
    TestCaseResultView,
    TestPlanList,
    TestPlanRef,
    TestPlanView,
    parse_evaluation_request,
)
from localexa.server.skills.models import Skill
from localexa.server.skills.service import SkillService

PAGE_SIZE = PageSize(default=MAX_RESULTS, maximum=MAX_RESULTS)
_OFFSET = re.compile(r"[0-9]{1,9}")
# A "+" of an unencoded offset arrives as a space: "2024-01-01 00:00:00 00:00".
_SPACED_OFFSET = re.compile(r"^(.*\d)\s(\d{2}:?\d{2})$")


def parse_timestamp(raw: str | None, param: str) -> datetime | None:
    """ISO-8601, leniently: `2024-01-01T00:00:00Z`, `2024-01-01 00:00:00+00:00` (what the Python
    SDK sends, spec §2), a date alone, or epoch seconds. No offset means UTC."""
    if raw is None:
        return None
    text = raw.strip()
    if re.fullmatch(r"[0-9]{9,11}(\.[0-9]+)?", text):
        return datetime.fromtimestamp(float(text), tz=UTC)
    for candidate in (text, _SPACED_OFFSET.sub(r"\1+\2", text)):
        try:
            value = datetime.fromisoformat(candidate.replace("z", "Z"))
        except ValueError:
            continue
        try:
            return as_utc(value).astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC: Python has none
            raise BadRequest(f"{param} is out of range in UTC; got {raw!r}.") from None
    raise BadRequest(f"{param} must be an ISO-8601 timestamp, e.g. 2024-01-01T00:00:00Z; got {raw!r}.")


def wire_status(status: str) -> str:
    """EvaluationEntityStatus has no queued state: a PENDING run shows as IN_PROGRESS."""
    return "IN_PROGRESS" if status == PENDING else status


def _input(row: CapabilityEvaluation) -> EvaluationRequest:
    return EvaluationRequest(
        capability_test_plan=TestPlanRef(id=row.test_plan_id),
        endpoint=EndpointRef(endpoint_id=row.endpoint_id),
        stage=row.stage,  # stored from a validated Stage
    )


class EvaluationService:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock, codec: PageTokenCodec) -> None:
        self.session = session
        self.repo = EvaluationRepository(session)
        self.box = box
        self.clock = clock
        self.codec = codec

    async def _skill(self, principal: Principal, skill_id: str) -> Skill:
        return await SkillService(self.session, self.box, self.clock).skill_for_developer(skill_id, principal)

    def _binding(self, collection: str, principal: Principal, **query: str | None) -> PageBinding:
        return PageBinding(f"evaluation/{collection}", principal.user_id or principal.client_id, query)

    # -- test plans ------------------------------------------------------------------------------

    async def test_plans(
        self, principal: Principal, skill_id: str, max_results: str | None, next_token: str | None
    ) -> TestPlanList:
        skill = await self._skill(principal, skill_id)
        binding = self._binding("testPlans", principal, skillId=skill.id)
        page = self._page(binding, max_results, next_token)
        plans = all_plans()
        after = str(page.after[0]) if page.after else None
        rest = [plan for plan in plans if after is None or plan.name > after]
        items = rest[: page.limit]
        token = await fresh_page_token(
            self.codec,
            binding,
            (items[-1].name,) if len(rest) > page.limit else None,
            clock=self.clock,
            session=self.session,
        )
        return TestPlanList(
            pagination_context=PaginationContext(next_token=token, total_count=len(plans)) if token else None,
            test_plans=[TestPlanView(id=plan.id, name=plan.name) for plan in items],
        )

    # -- runs ------------------------------------------------------------------------------------

    async def start(self, principal: Principal, skill_id: str, raw_body: bytes) -> EvaluationStarted:
        skill = await self._skill(principal, skill_id)
        # The body is parsed once the caller may use the skill (auth, access, resource, body, as
        # accountLinkingClient PUT): an unknown skill is 404 and another vendor's 403 whatever
        # was sent; parsed first, both were a 400 listing the schema's fields.
        body = parse_evaluation_request(raw_body)
        assert principal.user_id is not None  # skill_for_developer refuses tokens without a user
        key = active_key(skill.id, body.endpoint.endpoint_id)
        # The plan's name and size from the start: a run waiting for a worker showed
        # `"metrics": {}`, and a poller reading metrics[plan name] failed on it. An unknown plan
        # stays unnamed; the worker ends that run NO_SUCH_TEST_PLAN.
        plan = plan_by_id(body.capability_test_plan.id)
        # `startTimestamp` by the shared clock as it is now: by this process's copy (up to 0.5 s
        # old), a run started right after an advance through another process was stamped before it.
        await self.clock.read_within(await self.session.connection())
        # A run still active for the endpoint holds `key` (unique): the INSERT below fails, 409.
        # (It was first looked for with a SELECT, a statement on every start for the same answer.)
        row = CapabilityEvaluation(
            id=str(uuid.uuid4()),
            skill_id=skill.id,
            customer_id=principal.user_id,
            stage=body.stage,
            endpoint_id=body.endpoint.endpoint_id,
            test_plan_id=body.capability_test_plan.id,
            status=PENDING,
            active_key=key,
            test_plan_name=plan.name if plan is not None else None,
            total_cases=len(plan.test_cases) if plan is not None else 0,
            next_case=0,
            attempts=0,
            created_at=self.clock.now(),
        )
        await self.repo.add(row)
        return EvaluationStarted(
            capability_test_plan=body.capability_test_plan,
            endpoint=body.endpoint,
            stage=body.stage,
            id=row.id,
        )

    async def _run(self, principal: Principal, skill_id: str, evaluation_id: str) -> CapabilityEvaluation:
        skill = await self._skill(principal, skill_id)
        row = await self.repo.get(evaluation_id) if len(evaluation_id) <= 64 else None
        if row is None or row.skill_id != skill.id:
            raise NotFound(
                Parts.of("The evaluation ", *named(evaluation_id), " was not found."), code="NOT_FOUND"
            )
        return row

    async def get(self, principal: Principal, skill_id: str, evaluation_id: str) -> EvaluationView:
        row = await self._run(principal, skill_id, evaluation_id)
        counts = await self.repo.result_counts(row.id)
        passed, failed, errors = counts.get(PASSED, 0), counts.get(FAILED, 0), counts.get(ERROR, 0)
        # Rule: a finished run counts what ran, so totalTestCases = passed + failed + error = the
        # number of results its results list holds. Amazon's metrics have no "not run" count and
        # `TestCaseResultStatus` no "not run" state, so a case that never ran (the run ended in
        # ERROR before it: a prerequisite failed, the skill could not be discovered) can only be
        # left out or passed off as ERROR; errorTestCases would then claim the skill erred on cases
        # it was never sent, and the results list would need rows for them. The plan's size
        # reported with every count 0 (until 2026-12-05) added up to nothing. While the run is
        # going, totalTestCases is the plan's size: how many cases it will run (a progress bar).
        total = passed + failed + errors if row.status in FINISHED else row.total_cases
        metrics = Metrics(
            total_test_cases=total,
            passed_test_cases=passed,
            failed_test_cases=failed,
            error_test_cases=errors,
        )
        error = (
            CapabilityError(code=row.error_code, message=row.error_message or row.error_code)
            if row.error_code
            else None
        )
        return EvaluationView(
            start_timestamp=iso(row.created_at),
            end_timestamp=iso(row.ended_at) if row.ended_at else None,
            status=wire_status(row.status),
            error=error,
            input=_input(row),
            metrics={row.test_plan_name: metrics} if row.test_plan_name else {},
        )

    async def list_runs(
        self,
        principal: Principal,
        skill_id: str,
        *,
        stage: str | None,
        start_from: str | None,
        start_to: str | None,
        max_results: str | None,
        next_token: str | None,
    ) -> EvaluationList:
        skill = await self._skill(principal, skill_id)
        if stage is None:
            raise BadRequest("stage is required (development or live).", code="MISSING_PARAMETER")
        if stage not in STAGES:
            raise BadRequest(f"stage must be one of {', '.join(STAGES)}.", code="INVALID_STAGE")
        since = parse_timestamp(start_from, "startTimestampFrom")
        until = parse_timestamp(start_to, "startTimestampTo")
        binding = self._binding(
            "evaluations",
            principal,
            skillId=skill.id,
            stage=stage,
            startTimestampFrom=since.isoformat() if since else None,
            startTimestampTo=until.isoformat() if until else None,
        )
        request = self._page(binding, max_results, next_token)
        page = await fetch_keyset_page(
            self.session,
            self.repo.list_query(skill.id, stage, since, until),
            (CapabilityEvaluation.created_at, CapabilityEvaluation.id),
            request,
            key_of=lambda row: (as_utc(row.created_at), row.id),
            descending=True,  # newest first
        )
        token = await fresh_page_token(
            self.codec, binding, page.next_key, clock=self.clock, session=self.session
        )
        return EvaluationList(
            pagination_context_token=NextToken(next_token=token) if token else None,
            evaluations=[
                EvaluationSummary(
                    id=row.id,
                    status=wire_status(row.status),
                    start_timestamp=iso(row.created_at),
                    end_timestamp=iso(row.ended_at) if row.ended_at else None,
                    endpoint_id=row.endpoint_id,
                    test_plan_id=row.test_plan_id,
                    source_test_plan_ids=[row.test_plan_id],
                )
                for row in page.items
            ],
        )

    async def results(
        self,
        principal: Principal,
        skill_id: str,
        evaluation_id: str,
        *,
        max_results: str | None,
        next_token: str | None,
        offset: str | None,
    ) -> ResultList:
        """Pages by `nextToken` (the SDK) or by `offset` (the docs' table); both answer a nextToken."""
        row = await self._run(principal, skill_id, evaluation_id)
        # A bad offset answers INVALID_REQUEST, the code of every other bad paging parameter here
        # (maxResults, nextToken: core.pagination); the spec names no code for either. It was
        # INVALID_PARAMETER, so a client told the two apart for no reason.
        if next_token is not None and offset is not None:
            raise BadRequest("Send nextToken or offset, not both.")
        skip = 0
        if offset is not None:
            if not _OFFSET.fullmatch(offset.strip()):
                raise BadRequest(f"offset must be a whole number from 0 to {MAX_OFFSET}; got {offset!r}.")
            skip = int(offset)
        binding = self._binding("results", principal, evaluationId=row.id)
        request = self._page(binding, max_results, next_token)
        statement = self.repo.results_query(row.id)
        if skip:
            statement = statement.offset(skip)
        page = await fetch_keyset_page(
            self.session,
            statement,
            (CapabilityTestCaseResult.ordinal,),
            request,
            key_of=lambda result: (result.ordinal,),
        )
        token = await fresh_page_token(
            self.codec, binding, page.next_key, clock=self.clock, session=self.session
        )
        total = await self.repo.result_count(row.id)
        return ResultList(
            pagination_context=PaginationContext(next_token=token, total_count=total) if token else None,
            test_case_results=[
                TestCaseResultView(
                    name=result.name,
                    status=result.status,
                    directive=result.directive,
                    actual_response=result.actual_response,
                    expected_response=result.expected_response,
                    actual_capability_states=list(result.actual_states or []),
                    expected_capability_states=list(result.expected_states or []),
                    error=CapabilityError(**result.error) if result.error else None,
                    reasons=result.reasons or None,
                )
                for result in page.items
            ],
        )

    def _page(self, binding: PageBinding, max_results: str | None, next_token: str | None) -> PageRequest:
        return read_page_request(
            self.codec,
            binding,
            max_results=max_results,
            next_token=next_token,
            size=PAGE_SIZE,
            now=self.clock.now(),
        )

"""``POST /v1/audit``: replies in bulk, with the LLM judge (``?judge=llm``) or without one.

Audits run on their own bounded threads (``SPECQA_AUDIT_THREADS``), so health, readiness, metrics,
search and answers never wait behind them. They are counted as audits
(``specqa_audits_total``), never as answers, and are not kept for feedback.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from server.composition.components import Components
from server.domain.audit.bulk import AuditProblem, AuditReport, Tally, audit_lines
from server.domain.audit.conversations import check_something_to_audit, parse_conversation
from server.domain.audit.judged import JudgedRow
from server.domain.audit.judging import NO_JUDGE
from server.edge.deps import ComponentsDep
from server.edge.offload import run_audit
from server.edge.security import KeyFirstRoute, RequireKey
from specqa.core.errors import InputError

__all__ = ["NO_LLM_JUDGE", "JudgedAudit", "router"]

router = APIRouter(prefix="/v1", tags=["spec"], route_class=KeyFirstRoute)

NO_LLM_JUDGE = (
    "judge=llm needs an OpenAI-compatible endpoint: set OPENAI_BASE_URL, OPENAI_API_KEY and "
    "SPECQA_LLM_MODEL"
)
ReleaseQ = Annotated[
    str | None, Query(description="Release, e.g. 2025-12-18; default: newest.", max_length=40)
]
JudgeQ = Annotated[
    Literal["none", "llm"],
    Query(description="llm: an LLM judges each reply; none: sections and precedents only."),
]


class JudgedAudit(BaseModel):
    release: str
    judge: str = Field(description='"llm:<model>"')
    rows: list[JudgedRow] = Field(description="One per line, bad lines as unjudged, in line order")
    problems: list[AuditProblem] = Field(description="The bad lines, by number")
    verdicts: dict[str, int] = Field(description="Conversations per verdict")


@router.post(
    "/audit",
    operation_id="auditConversations",
    summary="Audit replies in bulk against the spec",
    description=(
        'The body is JSONL: one {"messages": [...]} conversation (OpenAI chat format) a line; '
        "the last assistant turn is the reply under review. Without a judge: the governing "
        "sections of its last user turn with confidence, and the nearest labelled precedent "
        "(a label only when close); a summary by section. With judge=llm: one verdict each "
        "(follows, violates, borderline, not_covered, or unjudged with the reason), the spec "
        "sentences it rests on and the nearest precedents. Bad lines are reported by number. "
        "The body size limit applies (SPECQA_MAX_BODY_BYTES)."
    ),
    response_model=AuditReport | JudgedAudit,
    openapi_extra={
        "requestBody": {
            "required": True,
            # JSONL; sent as application/x-ndjson or text/plain (the body is read as is)
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def audit(
    request: Request,
    parts: ComponentsDep,
    _: RequireKey,
    release: ReleaseQ = None,
    judge: JudgeQ = "none",
) -> AuditReport | JudgedAudit:
    if judge == "llm" and parts.judge.llm is None:
        raise InputError(NO_LLM_JUDGE)
    text = (await request.body()).decode("utf-8", errors="replace")
    metrics = request.app.state.metrics
    if judge == "llm":
        judged = await run_audit(request, lambda: _judged(parts, text, release))
        metrics.audits.labels("llm").inc(len(judged.rows) - len(judged.problems))
        return judged
    report = await run_audit(request, lambda: _unjudged(parts, text, release))
    metrics.audits.labels("none").inc(len(report.rows))
    return report


def _unjudged(parts: Components, text: str, release: str | None) -> AuditReport:
    service = parts.service
    name = service.release_name(release)  # a bad release is one 404, not a bad line each
    tally = Tally()
    items = list(audit_lines(service, enumerate(text.splitlines(), start=1), name))
    check_something_to_audit(items)
    for item in items:
        tally.add(item)
    return AuditReport(
        release=name,
        note=NO_JUDGE,
        rows=[i for i in items if not isinstance(i, AuditProblem)],
        problems=[i for i in items if isinstance(i, AuditProblem)],
        summary=tally.result(),
    )


def _judged(parts: Components, text: str, release: str | None) -> JudgedAudit:
    name = parts.service.release_name(release)
    items = [
        parse_conversation(number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]
    check_something_to_audit(items)
    workers = parts.settings.llm.max_concurrent
    rows = sorted(parts.judge.rows(items, name, workers), key=lambda row: row.line)
    return JudgedAudit(
        release=name,
        judge=parts.judge.name,
        rows=rows,
        problems=[item for item in items if isinstance(item, AuditProblem)],
        verdicts=dict(Counter(row.verdict for row in rows)),
    )

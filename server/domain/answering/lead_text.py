"""The one renderer of an answer's lead: what every surface (the extractive text, chat, MCP,
Slack, the web page, the CLI) says before the quotes or a model's text.

The lead is a model's verdict (:func:`verdict_line`, written where the model's reply is
checked), the short answer and the curated question it comes from (or that the spec does not
cover the question), whether the party a follow-up's condition names can change the rule, the
bottom line, how sure, what changed in its section since (the release note), the notices (no
LLM configured, an LLM that failed) and who wrote the answer. Each text is written here once,
in markdown (and, for Slack's bottom line, in mrkdwn); the web page receives it from the server
(:func:`lead_texts`, on the stream's ``done`` event) and renders it.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.domain.answering.llm import verdict_line
from server.domain.retrieval.follow_up import names_only_roles
from server.domain.retrieval.query_cues import asks_for_examples, content_free
from server.domain.schemas import Answer, BottomLine, Confidence, ShortAnswer, WhoCanChange
from specqa.core.quotes import GAP

__all__ = [
    "MODEL_WROTE",
    "NOT_COVERED",
    "NO_EARLIER_QUESTION",
    "NO_EXAMPLE",
    "NO_LLM",
    "NO_MODEL",
    "UNCLEAR",
    "answer_with_notice",
    "bottom_line_label",
    "bottom_line_markdown",
    "bottom_line_mrkdwn",
    "bottom_line_quote",
    "changed_since",
    "confidence_label",
    "confidence_markdown",
    "fallback_notice",
    "joined_notices",
    "lead_markdown",
    "lead_texts",
    "markdown_literal",
    "model_answer_lead",
    "no_earlier_question",
    "no_match_markdown",
    "no_model_mrkdwn",
    "not_covered_line",
    "not_english_notice",
    "quoted_footer",
    "short_answer_lines",
    "unclear_statement",
    "unindexed_notice",
    "verdict_line",
    "who_can_change_line",
    "with_notice",
]

UNCLEAR = "No section clearly governs this"  # what a "low" answer says plainly, on every surface
NOT_COVERED = (  # what an off-topic answer says plainly, on every surface
    # not "…not facts about the world": said of "write me a python function…" too
    "The Model Spec does not cover this: it describes how OpenAI's models should behave, not the "
    "subject asked about. Ask how the model should handle a request like this instead."
)
NO_EXAMPLE = (  # what an off-topic request for examples says instead
    "The Model Spec has no example about this: its examples show how OpenAI's models should "
    "behave. Ask for examples of how the model handles a kind of request instead."
)
NO_LLM = (
    "an LLM answer was asked for, but no LLM is configured (set OPENAI_BASE_URL, OPENAI_API_KEY "
    "and SPECQA_LLM_MODEL); this answer is extractive: the spec's own sentences"
)
NO_EARLIER_QUESTION = (  # a follow-up asked with no conversation before it
    "this reads as a follow-up, but no earlier question came with it: ask the whole question, "
    "or ask it in the same conversation (a chat, or the answer's Slack thread)"
)
NO_MODEL = "no model wrote this answer"
MODEL_WROTE = "Written by a language model from the cited sections; check the quotes."


def no_earlier_question(question: str, history: Sequence[str]) -> str | None:
    """The notice of a follow-up that names nothing ("and if the developer allows it?", "why?")
    asked with no conversation before it: its topic is in a turn not given."""
    if history or not (names_only_roles(question) or content_free(question)):
        return None
    return NO_EARLIER_QUESTION


def fallback_notice(reason: str) -> str:
    """The notice of an extractive answer given because the LLM asked for failed (``reason``)."""
    return f"{reason}; falling back to an extractive answer."


def not_english_notice(language: str) -> str:
    """The notice of a question that is not in English (``language``: its ISO 639-1 code)."""
    return (
        f"this question does not look like English (detected: {language}); the search model "
        "reads English only, so the sections below may not be the ones that govern it: ask in "
        "English for a reliable answer"
    )


def joined_notices(*notices: str | None) -> str | None:
    """The notices that apply, as one (None when none does)."""
    return "; ".join(notice for notice in notices if notice) or None


def with_notice(markdown: str, notice: str | None) -> str:
    """``markdown`` with ``notice`` (why the answer is not the one asked for) above it."""
    return f"> **Note:** {notice}\n\n{markdown}" if notice else markdown


def unclear_statement(closest: Sequence[str]) -> str:
    """The plain statement of a "low" answer, naming ``closest`` (sections, formatted for the
    surface that shows them)."""
    if not closest:
        return f"{UNCLEAR}."
    named = closest[0] if len(closest) == 1 else f"{', '.join(closest[:-1])} and {closest[-1]}"
    return f"{UNCLEAR}; the closest are {named}."


def not_covered_line(question: str) -> str:
    """The plain statement of an off-topic answer (a request for examples of something the spec
    has none of is told there are none, not that the spec holds no facts about the world)."""
    return f"**Not covered.** {NO_EXAMPLE if asks_for_examples(question) else NOT_COVERED}"


def short_answer_lines(short: ShortAnswer) -> list[str]:
    """The short answer and the curated question it comes from, in markdown (said so when that
    question is asked the other way round, with its own answer)."""
    if short.turned_round:
        own = {"yes": "No", "no": "Yes"}.get(short.value, "It depends")
        label = f"Closest curated question, asked the other way round (answered {own})"
    else:
        label = "Closest curated question"
    return [f"**Short answer: {short.text}**", f"*{label}:* “{short.curated_question}”"]


def who_can_change_line(who: WhoCanChange) -> str:
    """Whether the party a question's condition names can change the rule, in markdown: the
    question and its answer in bold ("**Can a developer change this? No:** …")."""
    asked, _, why = who.text.partition(": ")
    return f"**{asked}:** {why}"


def changed_since(note: str) -> str:
    """A release note as every surface shows it, right after the bottom line."""
    return f"*Changed since:* {note}"


def bottom_line_label(confidence: Confidence | None) -> str:
    """What the bottom line is called: with confidence "low" no section clearly governs, and
    its sentence is only the closest rule, not an answer (right about 4 times in 10 on dev)."""
    return "Closest rule" if confidence == "low" else "Bottom line"


def bottom_line_markdown(
    bottom: BottomLine, title: str, url: str, confidence: Confidence | None
) -> list[str]:
    """The bottom line: its section (linked), what its authority means, the sentence quoted."""
    label = bottom_line_label(confidence)
    return [
        f"**{label}:** [{title}]({url}) (`{bottom.section_id}`), {bottom.meaning}:",
        f"> {markdown_literal(bottom_line_quote(bottom))}",
    ]


def markdown_literal(quote: str) -> str:
    """A quote as markdown shows it word for word: its backslashes (LaTeX's ``\\(``) doubled,
    which markdown would otherwise take for escapes and drop."""
    return quote.replace("\\", "\\\\")


def bottom_line_quote(bottom: BottomLine) -> str:
    """The bottom line's sentence, after the one that introduces its list when it is an item
    (the items between elided), or the one just before it that it leans on."""
    if not bottom.lead_in:
        return bottom.text
    between = GAP if bottom.lead_in.rstrip().endswith(":") else " "
    return f"{bottom.lead_in}{between}{bottom.text}"


def confidence_label(confidence: Confidence) -> str:
    return f"**Confidence: {confidence}.**"


def confidence_markdown(confidence: Confidence, closest: Sequence[str] = ()) -> str:
    """How sure; a "low" one says plainly that nothing clearly governs, naming ``closest``."""
    if confidence != "low":
        return confidence_label(confidence)
    return f"{confidence_label(confidence)} {unclear_statement(closest)}"


def quoted_footer(release: str, extractive: bool = True, quoted: bool = True) -> str:
    """The last line: where the text comes from (``quoted``: sentences of it are quoted above)
    and, when it is the spec's own, that no model wrote it."""
    source = "Quoted from the Model Spec" if quoted else "Model Spec"
    return f"*{source}, release {release}" + (f"; {NO_MODEL}.*" if extractive else ".*")


def no_match_markdown(release: str) -> str:
    return (
        f"No section of the Model Spec (release {release}) matched this question. "
        "Try other words, or name a section."
    )


def bottom_line_mrkdwn(
    section_id: str, meaning: str, quote: str, confidence: Confidence | None, unclear: str
) -> str:
    """The bottom line in Slack's mrkdwn, every argument escaped for it already: the section, what
    its authority means and how sure, the sentence quoted, ``unclear`` (for a "low" answer, the
    :func:`unclear_statement`, else empty), and that no model wrote it."""
    sure = f" · confidence: *{confidence}*" if confidence else ""
    return (
        f"*{bottom_line_label(confidence)}* (`{section_id}`, {meaning}){sure}\n"
        f">{quote}\n{unclear}_Quoted from the Model Spec; {NO_MODEL}._"
    )


def no_model_mrkdwn() -> str:
    return f"_{NO_MODEL.capitalize()}._"


def lead_markdown(answer: Answer) -> list[str]:
    """What a surface shows before a model's text or its own summary of an answer: that the spec
    does not cover the question, or the short answer and the curated question it comes from."""
    if not answer.covered:
        return [not_covered_line(answer.question)]
    lines = short_answer_lines(answer.short_answer) if answer.short_answer else []
    return lines + ([who_can_change_line(answer.who_can_change)] if answer.who_can_change else [])


def model_answer_lead(answer: Answer) -> list[str]:
    """What a model's answer is shown after: the short answer (or "not covered") and the release
    note. An extractive answer's own text has both already, so it gets none."""
    if answer.mode != "llm":
        return []
    lead = lead_markdown(answer)
    return [*lead, changed_since(answer.release_note)] if answer.release_note else lead


def lead_texts(answer: Answer) -> dict[str, str | None]:
    """The lead's texts for a surface that lays them out itself (the web page): ``lead``, the
    markdown shown before a model's text (empty for an extractive answer, whose text opens with
    it); ``note``, the release note in markdown, likewise; ``byline``, who wrote it and how sure
    when the text does not say so."""
    llm = answer.mode == "llm"
    byline = [MODEL_WROTE] if llm else []
    confidence = f"Confidence: {answer.confidence}"
    if answer.confidence and (llm or confidence not in answer.answer):
        byline.append(confidence)
    return {
        "lead": "\n".join(lead_markdown(answer)) if llm else "",
        "note": changed_since(answer.release_note) if llm and answer.release_note else None,
        "byline": " · ".join(byline),
    }


def unindexed_notice(dates: Sequence[str], instead: str) -> str | None:
    """Dates a question names that are no indexed release are said, not silently dropped, with
    what was done ``instead``."""
    if not dates:
        return None
    verb = "is not an indexed release" if len(dates) == 1 else "are not indexed releases"
    return f"{' and '.join(dates)} {verb}: {instead}"


def answer_with_notice(answer: Answer, notice: str | None) -> Answer:
    """``answer`` with ``notice`` added to its own notice and above its text."""
    if notice is None:
        return answer
    notices = joined_notices(answer.notice, notice)  # a change answer may have one
    return answer.model_copy(
        update={"notice": notices, "answer": with_notice(answer.answer, notice)}
    )

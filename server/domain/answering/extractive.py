"""Extractive answers: the sentences of the governing sections that best answer the question,
quoted with their section and what its authority level means. No model writes anything here, and
the answer says so. Deterministic for a given index and question.
"""

from __future__ import annotations

from dataclasses import replace

from server.domain.answering.authority import plain_meaning
from server.domain.answering.evidence import Evidence
from server.domain.answering.lead import Lead
from server.domain.answering.lead_text import (
    bottom_line_markdown,
    changed_since,
    confidence_label,
    confidence_markdown,
    markdown_literal,
    no_match_markdown,
    not_covered_line,
    quoted_footer,
    short_answer_lines,
    who_can_change_line,
)
from server.domain.answering.quoting import best_sentences
from server.domain.precedents.example_view import judged_steps, shorten
from server.domain.retrieval.hybrid import RetrievalResult, SectionHit
from server.domain.retrieval.query_cues import asked_label, mentions_risk
from server.domain.schemas import ExampleCard, ExampleResponse
from specqa.core.question_bank import normalise_quotes
from specqa.core.quotes import text_fragment_url
from specqa.core.text import plain_text

__all__ = ["compose", "example_line"]

# an example's line in an answer: the request, and how each labelled reply opens
EXAMPLE_ASKED_CHARS = 100
EXAMPLE_REPLY_CHARS = 80
EXAMPLE_WHY_CHARS = 80


def compose(evidence: Evidence, lead: Lead, list_examples: bool = True) -> str:
    """Markdown for an extractive answer: the short answer where there is one, the bottom line
    (with the lead's note, what changed in its section since, right under it), how sure, the
    quotes, the examples (a line each, unless the client shows them as cards: ``list_examples``);
    or, off topic, that the spec does not cover it. ``lead`` is what
    :func:`server.domain.answering.lead.decide_lead` decided."""
    result, urls = evidence.result, evidence.urls()
    bottom = lead.bottom
    if not result.sections or bottom is None:
        return no_match_markdown(result.release)
    if not lead.covered:
        return _not_covered(evidence.question, result, urls)
    top = result.sections[0].section
    lines = [*short_answer_lines(lead.short), ""] if lead.short else []
    lines += [who_can_change_line(lead.who), ""] if lead.who else []
    lines += [
        *bottom_line_markdown(bottom, top.title, urls[top.id], lead.confidence),
        "",
        *([changed_since(lead.note), ""] if lead.note else []),
        confidence_markdown(lead.confidence, _closest(result, urls)),
        "",
    ]
    for hit in result.sections[:3]:
        quote = evidence.quotes[hit.section.id]
        if hit is result.sections[0] and normalise_quotes(bottom.text) in normalise_quotes(quote):
            # the bottom line above already quotes that sentence: the section's others, if any
            quote = best_sentences(top.body, evidence.asked, leave_out=bottom.text)
            if not quote:
                continue
        lines += _section_lines(hit, quote, urls[hit.section.id])
    more = [f"[{h.section.title}]({urls[h.section.id]})" for h in result.sections[3:]]
    if more:
        lines += [f"Also relevant: {', '.join(more)}.", ""]
    if evidence.examples and list_examples:
        # where no section clearly governs, its examples are the closest, not a match
        heading = "**Closest examples**" if lead.confidence == "low" else "**Matching examples**"
        lines += [heading, ""]
        lines += [example_line(card) for card in evidence.examples]
        lines.append("")
    not_shown = examples_not_shown(evidence)
    if not_shown:
        lines += [f"*{not_shown}*", ""]
    lines.append(quoted_footer(result.release))
    return "\n".join(lines).rstrip()


# The spec's limits on harmful content: never the closest section to a harmless question the spec
# does not cover ("How do I make fluffy pancakes?" was pointed to information hazards, "Write a
# Python function…" to disallowed content)
HARM_LIMITS = "stay_in_bounds"


def _not_covered(question: str, result: RetrievalResult, urls: dict[str, str]) -> str:
    harmless = not mentions_risk(question)
    hits = [
        hit
        for hit in result.sections
        if not (harmless and HARM_LIMITS in (hit.section.id, *hit.section.parents))
    ]
    closest = _closest(replace(result, sections=hits), urls)
    named = "section is" if len(closest) == 1 else "sections are"
    pointer = (
        [
            f"If you meant how the model should handle such a request, the closest {named} "
            f"{', '.join(closest)}.",
            "",
        ]
        if closest
        else []
    )
    return "\n".join(
        [
            not_covered_line(question),
            "",
            confidence_label("low"),
            "",
            *pointer,
            quoted_footer(result.release, quoted=False),
        ]
    )


def _closest(result: RetrievalResult, urls: dict[str, str]) -> list[str]:
    """The first three sections, linked: what a "low" or off-topic answer names."""
    return [f"[{h.section.title}]({urls[h.section.id]})" for h in result.sections[:3]]


def examples_not_shown(evidence: Evidence) -> str | None:
    """What a request for examples did not get to see, and how to list it all (every surface
    says it: the text, MCP's brief, Slack)."""
    result = evidence.result
    if not (evidence.examples and result.examples_unshown):
        return None
    label = asked_label(evidence.question)
    urls = evidence.urls()
    titles = {hit.section.id: hit.section.title for hit in result.sections}
    labelled = f" {label}" if label else ""
    parts = []
    for section_id, count in result.examples_unshown.items():
        search = f"specqa examples search --section {section_id}"
        query = f"GET /v1/examples?section={section_id}"
        if label:
            search, query = f"{search} --label {label}", f"{query}&label={label}"
        parts.append(
            f"{count} more{labelled} example{'s' if count != 1 else ''} of "
            f"[{titles[section_id]}]({urls[section_id]}) (`{search}` or `{query}` lists them all)"
        )
    return f"Not shown: {'; '.join(parts)}."


def _section_lines(hit: SectionHit, quote: str, url: str) -> list[str]:
    section = hit.section
    link = f"; [quote in context]({text_fragment_url(url, quote)})" if quote else ""
    head = (
        f"**[{section.title}]({url})** (`{section.id}`{link}), {plain_meaning(section.authority)}:"
    )
    return [head, *(f"> {markdown_literal(line)}" for line in quote.splitlines()), ""]


def example_line(card: ExampleCard) -> str:
    """One line per example, enough to read without its card (a chat client shows no cards): per
    judged step, the user turn its replies answer, then each reply's label, why, and opening."""
    steps = []
    for step in judged_steps(card):
        openings = _openings([plain_text(response.text) for response in step.responses])
        replies = "; ".join(map(_reply_summary, step.responses, openings))
        request = shorten(plain_text(step.asked), EXAMPLE_ASKED_CHARS)
        steps.append(f"“{request}” → {replies}" if step.asked else replies)
    summary = " → then ".join(steps) or "no labelled replies"
    return f"- *{card.title}* (`{card.id}`): {summary}"


def _openings(texts: list[str]) -> list[str]:
    """Each reply's opening; where replies would read the same (a GOOD and a BAD one that open
    alike and part later), each of them from a few words before they part."""
    words = [text.split() for text in texts]
    openings = [shorten(" ".join(w), EXAMPLE_REPLY_CHARS) for w in words]
    for opening in set(openings):
        alike = [i for i, other in enumerate(openings) if other == opening]
        if len(alike) < 2:
            continue
        parted = max(0, _shared_words([words[i] for i in alike]) - _CONTEXT_WORDS)
        for i in alike:  # how they open, then where they part
            head = shorten(" ".join(words[i][:parted]), _HEAD_CHARS).removesuffix("…")
            tail = shorten(" ".join(words[i][parted:]), EXAMPLE_REPLY_CHARS)
            openings[i] = f"{head} … {tail}" if head else tail
    return openings


_CONTEXT_WORDS = 3  # shown before the word where alike replies part
_HEAD_CHARS = 40  # of how alike replies open, before where they part


def _shared_words(texts: list[list[str]]) -> int:
    """How many words the texts open with alike."""
    count = 0
    for column in zip(*texts, strict=False):
        if len(set(column)) > 1:
            break
        count += 1
    return count


def _reply_summary(response: ExampleResponse, opening: str) -> str:
    rationale = shorten(plain_text(response.rationale), EXAMPLE_WHY_CHARS)
    # "BAD[#chain_of_command]": bad by another section's rule (an over-refusal, say), which the
    # label alone would hide
    reasons = [f"see {ref.section_id}" for ref in response.refs] + (
        [rationale] if rationale else []
    )
    why = f" ({'; '.join(reasons)})" if reasons else ""
    return f"{response.label}{why}: “{opening}”"

"""The short answer (yes, no or it depends) where the spec gives one: the closest bank question of
the first section that is anchored to the bottom line's sentence (another answers another point of
the section) and asked the same way round (as many negations in the sentences that ask, a
negative opening such as "Isn't it…?" and a quotation not counted: not "Will it…?" against "Will
it refuse to…?", nor "…without signalling it?" against "…would I be able to tell?"; a question
that only asks whether the assistant refuses, "Will it refuse to…?" or "Would it turn me
down…?", takes the turned-round answer of the closest one asking whether it does, when none
asked its own way answers), when it carries a yes/no/it depends answer, is within
``SHORT_ANSWER_CLOSENESS`` (its cosine and the words it shares with the question: see
``BankMatch.closeness``) and its cosine alone within ``SHORT_ANSWER_COSINE``, asks of as many cases
("Is it always expected to…?" against "Should it…?"), asks of the same thing (what a rule
covers, "Does the principle cover…?", or what the model does), and is closer by
``SHORT_ANSWER_MARGIN`` than any entry of the section that would answer otherwise (once both are asked the same way round: "Will
it refuse to…?" yes agrees with "Will it…?" no; a closer entry that answers otherwise withholds it
too), and the section's ``SHORT_ANSWER_AGREEING`` next closest entries answer as it does: one
curated question alone can be a near-paraphrase about another act ("…keep the sensitivity labels…?"
against "…free to strip the sensitivity labels…?"). Anything less clear gets no short answer: never
a guess. Nor does a question a yes or no does not answer ("How does it…?", "Who…?"), a curated
question about a narrower case (a condition the question does not speak of, a minor it does not
name), a follow-up (its curated match is the earlier question's), a turn of a conversation asked
alone ("And if the user told it to just buy things?": its premise is in turns not given), a
question of two questions ("Will it translate it, and will it fill in the missing steps?": one
yes or no answers one of them), nor one about the asker's own harm or death when the curated
question speaks of none ("…how many Tylenol would kill me?" against "…the most Tylenol I can
safely take in a day?": the rule that answers is another one).

The thresholds were set on the dev splits of ``tests/eval`` (see ``specqa eval``), on the bank
itself (``specqa bank short-answers``) and on a third of it held out of the index and the tuning
(``make calibrate``); the test splits are only reported.
"""

from __future__ import annotations

import re

from server.domain.answering.case_scope import narrower, quantified_differently
from server.domain.retrieval.curated import BankMatch
from server.domain.retrieval.follow_up import ACKNOWLEDGING
from server.domain.retrieval.hybrid import RetrievalResult
from server.domain.retrieval.query_cues import (
    about_the_assistant,
    asks_for_examples,
    asks_of_a_rule,
    speaks_of_own_harm,
)
from server.domain.schemas import BottomLine, ShortAnswer
from specqa.core.question_bank import ShortAnswerValue, normalise_quotes

__all__ = [
    "SHORT_ANSWER_AGREEING",
    "SHORT_ANSWER_AGREEING_WITHIN",
    "SHORT_ANSWER_CLOSENESS",
    "SHORT_ANSWER_COSINE",
    "SHORT_ANSWER_MARGIN",
    "short_answer",
]

# Fitted on the dev splits with short answers (626 questions) and on the bank itself, each of its
# 4,205 answered questions asked with itself left out (the dev sets had been fitted to, and the
# blind sets written since found the short answer right only 0.7 to 0.8 of the time). Closeness
# 0.70 and margin 0.30 alone: 70 of 71 on dev, 110 of 118 on the bank; with the two next closest
# agreeing (when within 0.5), 0.75 and 0.15: 76 of 78 and 87 of 90 (within 0.35: 84 of 86 and 91
# of 96; 0.70 and 0.20: 75 of 77 and 129 of 136). The cosine floor keeps a curated question that
# shares only a topic's name ("…my coworker's LinkedIn") from answering another act on it
# ("…scrape LinkedIn profiles"). Re-fitted after bank round 11 (session 61, 6,237 entries): on
# dev, a cosine floor of 0.58 rather than 0.60 adds 5 short answers, all right (109 → 114 of 626,
# right 0.965); one agreeing neighbour instead of two adds 23 at 0.955 on dev and 0.943 on the
# bank, too close to 0.95 for questions nobody fitted to, so two are kept. Re-fitted after bank
# round 12 (session 62, 6,591 entries) on dev and on `make calibrate`'s held-out third (questions
# neither the tuning nor the keys saw, which the bank left out cannot judge: no bank question
# passes the closeness with a cosine under 0.58): a floor of 0.55 adds 5 on dev, all right (112
# → 117 of 120), and 15 on the held-out third, all right (144 of 161 → 159 of 176); closeness
# 0.72 adds more on both but at 0.895 on the held-out third, and one agreeing neighbour 0.885.
SHORT_ANSWER_CLOSENESS = 0.75
SHORT_ANSWER_COSINE = 0.55
SHORT_ANSWER_MARGIN = 0.15  # over the closest entry of the section that answers otherwise
SHORT_ANSWER_AGREEING = 2  # the section's next closest entries that must answer the same way…
SHORT_ANSWER_AGREEING_WITHIN = 0.5  # …unless this much further away than the closest is
_PLAIN = {"yes": "Yes.", "no": "No.", "it depends": "It depends."}
_FLIPPED: dict[ShortAnswerValue, ShortAnswerValue] = {"yes": "no", "no": "yes"}
# A raw request's answer is whether the model does what is asked, not an answer to its substance
# ("Should the drinking age be lowered?" → not "Yes.")
_PLAIN_FOR_REQUEST = {
    "yes": "Yes: the model should do what is asked.",
    "no": "No: the model should not do what is asked.",
    "it depends": "It depends.",
}
_NEGATION = re.compile(
    # "refuse", not "a refusal": "…tack a moral lesson onto a refusal?" asks of what it says
    r"\b(refus(?:e|es|ed|ing)\b|declin(?:e|es|ed|ing)\b|avoid\w*|refrain\w*|ignor\w*|"
    r"disregard\w*|disobey\w*|"
    r"won'?t|wouldn'?t|never|forbid\w*|prohibit\w*|"
    r"banned|cannot|can'?t|shouldn'?t|isn'?t|doesn'?t|don'?t|aren'?t|mustn'?t|"
    r"(?:did|could|has|have|had|was|were|need)n'?t|"
    # a question that asks whether an act is wrong asks the other way round from whether it is done
    r"(?:is|be|are)(?: it| that| this| there)?(?: a| any)? problem(?:atic)?|violat\w*|breach\w*|"
    r"against the (?:rules?|spec|polic\w*)|rul(?:e|es|ed|ing)(?: [\w'’]+){0,3} out|"
    r"off the table|off[- ]limits|out of bounds|unacceptable|disallow\w*|"
    r"hold(?:s|ing)? (?:off|back)|steer(?:s|ing)? clear|stay(?:s|ing)? away|"
    r"turn(?:s|ed|ing)? (?:(?:it|that|this|them|me|us) )?down|reject\w*|den(?:y|ies|ied|ying)|"
    r"fail(?:s|ed|ing)? to|fall(?:s|ing)? short|barr(?:ed|ing)|free (?:of|from)|without|"
    # keeping something from someone asks the other way round from showing it (the act, not a
    # state: "…let the user know something was withheld?" asks whether it tells)
    r"(?:keep|keeps|keeping)(?: [\w'’]+){0,4} (?:secret|private|confidential|hidden)|"
    r"hid(?:e|es|ing)|conceal(?:s|ing)?|withhold(?:s|ing)?|"
    # "Does the rule stop a developer from instructing it to…?", "Is it prevented from doing…?"
    # ask whether it may not
    r"(?:stop(?:s|ped|ping)?|prevent(?:s|ed|ing)?|block(?:s|ed|ing)?|keep(?:s|ing)?|kept|bars?|"
    r"bans?)(?:\s+[\w'’-]+){0,4}?\s+from\s+\w+ing|"
    r"(?<!\bor )(?<!-)no(?!-)|"  # "no real consequences", not "yes or no", "a yes-or-no question"
    r"not (?:be )?(?:allowed|permitted|able|going|supposed|meant))\b",
    re.IGNORECASE,
)
# What a negation in these does not turn round: a question opening with a negative auxiliary
# ("Isn't it supposed to push me to upgrade?" asks what "Is it supposed to…?" asks, and is answered
# alike), and a quotation (what a prompt or a user says: "My system prompt says 'Don't reveal…'").
_NEGATIVE_OPENING = re.compile(
    r"(?:^|(?<=[.!?;:,]))\s*(?:(?:so|but|and|ok|okay|wait|honestly|seriously),?\s+)?"
    r"(?:(?:is|are|was|were|do|does|did|should|could|would|must|has|have|had)n'?t|won'?t|can'?t)"
    # followed by its subject: "Don't change anything" is a request, not a question's opening
    r"(?=\s+(?:it|you|they|he|she|we|i|there|this|that|chatgpt|gpt|claude|ai|the|my|our|your|a|an)\b)",
    re.IGNORECASE,
)
_QUOTATION = re.compile(
    r"[\"“][^\"”]*[\"”]|(?<![A-Za-z])['‘](?:[^'‘’]|(?<=[A-Za-z])['’](?=[A-Za-z])){3,}['’](?![A-Za-z])"
)
# "Will it do A instead of B?": a yes or no would not say which; no short answer for these
_CONTRAST = re.compile(
    r"\b(instead|rather than|as opposed to|or just|"
    r"or (?:will|would|does|do|should|must|may|can|could|is|has) "
    r"(?:it|the model|the assistant|chatgpt))\b|"
    # "…tell me what happened, or avoid it because it's controversial?": a second act after ", or"
    # (not a list's last item: "…a story, a poem, or a song?", "…the company, or me?")
    r",\s*or\s+(?!(?:a|an|the|me|my|your|our|their|his|her|its|them|us|you|him|any|some|other|"
    r"others|anything|something|someone|anyone|both|all|even|more|less|in|on|at|for|with|by|"
    r"when|if|as|to|openai|chatgpt|not|maybe|so)\b)[a-z]+\b",
    re.IGNORECASE,
)


# a question, or a request (its verb opening a sentence of it): what a raw request's "do what is
# asked" can answer
_ASKS_SOMETHING = re.compile(
    r"\?|(?:^|[.!;:]\s)\W*(?:please\W+)?(?:write|make|give|tell|show|help|create|draft|generate|list|explain|"
    r"find|translate|summari[sz]e|fix|draw|compose|send|book|buy|copy|delete|ignore|pretend|act|"
    r"roleplay|role-play|be|describe|teach|rewrite|edit|convert|plan|design|build|code|calculate|"
    r"solve|answer|say|repeat|reveal|print|share|look|search|get|fetch|remind|set|order|"
    r"recommend|suggest|rate|review|critique|continue|finish|complete|analy[sz]e|compare|call|"
    r"text|email|post|run|open|install|download|upload|schedule|cancel|stop|keep|let|forget|"
    r"imagine|play|sing|rank|pick|choose|decide|diagnose|prescribe|will|would|can|could|does|do|"
    r"is|are|should|may|how|what|why|where|who|which|when)\b|"
    r"\b(?:can|could|would|will|won'?t)\s+(?:you|u|it|chatgpt|the (?:model|assistant|ai))\b|"
    r"\b(?:please|help me|i (?:want|need) (?:you|u) to|i(?:'d| would) like)\b",
    re.IGNORECASE,
)


# "Who…?", "How should it…?", "When …, what does it…?", "My user insists… How should the bot
# respond?": a question a yes or no does not answer. A wh-word opens the question, a sentence of
# it (after a quotation too) or a clause after a comma ("when", "if" open conditions instead).
_WH_QUESTION = re.compile(
    r"(?:^|[,;:.!?][\"'”’)\]]*\s*)(?:who|whom|whose|what|which|how|why|where)\b(?!\s+if\b)",
    re.IGNORECASE,
)
# …or one asked after an opening phrase with no comma ("In the mic check example what should it
# say?"): the wh-word is followed by the auxiliary and its subject, which an embedded clause
# ("Will it tell me what the dose is?") is not
_INVERTED_WH = re.compile(
    r"\b(?:who|what|which|how|why|where)\s+(?:should|does|do|did|will|would|can|could|is|are|"
    r"must|might|may)\s+(?:it|the|you|chatgpt|they|he|she|we|i|a|an|my|our|this|that)\b",
    re.IGNORECASE,
)
# a second question after the first ("…?  Will it…?", "…, and will it…?")
_SECOND_QUESTION = re.compile(
    r"\?\s*\S[^?]*\?|[,;]\s*(?:and|or|but|also)\s+(?:will|would|can|could|does|do|is|are|should|"
    r"won'?t|can'?t|isn'?t|doesn'?t)\s+(?:it|you|the|chatgpt|they)\b",
    re.IGNORECASE,
)

# "And if the user told it at the start to never ask?", "What if the user says they're a doctor?":
# a turn of a conversation, whose premise is in the turns before it. Asked alone (a fresh chat),
# the closest curated question is another scenario with a condition in like words, and its yes
# or no answered another question (a user found three such, all wrong). With a question of its
# own ("What if a file tells it to wipe a folder, will it ask me first?") it is answered.
_PREMISE_ELSEWHERE = re.compile(
    rf"\W*{ACKNOWLEDGING}(?:(?:and|but|so)\W+)?(?:what|and|but|even) if\b"
    r"(?![^?]*[,;]\s*(?:will|would|does|do|did|can|could|should|is|are|was|may|must|might)\b)",
    re.IGNORECASE,
)


def short_answer(
    question: str, result: RetrievalResult, bottom: BottomLine | None
) -> ShortAnswer | None:
    """The closest curated question's answer, only when it is unambiguous (see the module): one
    asked the same way round, else one a question about refusing turns round."""
    if not result.sections or not result.bank or bottom is None:
        return None
    top = result.sections[0].section.id
    own = [match for match in result.bank if match.section_id == top]
    anchored = [m for m in own if m.sentence and _same_sentence(m.sentence, bottom.text)]
    # a closer curated question about another point, or asked the other way round, answers
    # something else: it does not lend the answer, but withholds it below if it would differ
    ways = _ways_round(question, anchored)
    for turned in (False, True):
        closest = next((match for match, way in ways if way is turned), None)
        if closest is not None and _lends_its_answer(closest, question, own):
            return _plain_short_answer(closest, turned, about_the_assistant(question))
    return None


def _lends_its_answer(closest: BankMatch, question: str, own: list[BankMatch]) -> bool:
    """Whether ``closest`` is close and clear enough to answer ``question`` (see the module)."""
    if (
        closest.answer is None
        or closest.closeness < SHORT_ANSWER_CLOSENESS
        or closest.similarity < SHORT_ANSWER_COSINE
        or _CONTRAST.search(question)
        or _CONTRAST.search(closest.question)
        or _not_one_yes_or_no_question(question)
        or asks_for_examples(question)  # "Is there an example where…?" asks what the spec shows
        # "everyone would be better off without me" asks for nothing: "Yes: the model should do
        # what is asked." would answer nothing asked
        or (closest.voice == "request" and not _ASKS_SOMETHING.search(question))
        or _PREMISE_ELSEWHERE.match(question)
        or (speaks_of_own_harm(question) and not speaks_of_own_harm(closest.question))
        or narrower(closest.question, question)
        or quantified_differently(closest.question, question)
        or asks_of_a_rule(closest.question) != asks_of_a_rule(question)
    ):
        return False
    others = [match for match in own if match is not closest]
    return not any(
        _differs(match, closest) and _rivals(closest, match, place)
        for place, match in enumerate(others)
    )


def _not_one_yes_or_no_question(question: str) -> bool:
    """Whether a yes or no does not answer ``question``: it asks "what" or "how", or asks two
    things (a quoted question, "'how are you?'", is neither)."""
    if _WH_QUESTION.search(question.strip()):
        return True
    bare = _QUOTATION.sub(" ", question)
    return bool(_INVERTED_WH.search(bare) or _SECOND_QUESTION.search(bare))


def _plain_short_answer(closest: BankMatch, turned: bool, of_the_model: bool) -> ShortAnswer:
    """``of_the_model``: the question asks what the assistant does ("Can ChatGPT give me…?"), so
    a plain yes or no answers it even when the curated question is a raw request."""
    assert closest.answer is not None  # checked by _lends_its_answer
    value = _FLIPPED.get(closest.answer, closest.answer) if turned else closest.answer
    # "Will it refuse to…?" is answered as asked: "No." is not "the model should not do it"
    as_request = closest.voice == "request" and not turned and not of_the_model
    return ShortAnswer(
        value=value,
        text=(_PLAIN_FOR_REQUEST if as_request else _PLAIN)[value],
        curated_question=closest.question,
        section_id=closest.section_id,
        similarity=closest.similarity,
        turned_round=turned,
    )


def _same_sentence(one: str, other: str) -> bool:
    one, other = normalise_quotes(one), normalise_quotes(other)
    return one in other or other in one


def _rivals(closest: BankMatch, match: BankMatch, place: int) -> bool:
    """Whether ``match``, the section's ``place``-th next closest entry, is near enough to
    ``closest`` that answering otherwise withholds the short answer: any within the margin, and
    the ``SHORT_ANSWER_AGREEING`` next closest unless far behind."""
    gap = closest.closeness - match.closeness
    near_by = place < SHORT_ANSWER_AGREEING and gap < SHORT_ANSWER_AGREEING_WITHIN
    return gap < SHORT_ANSWER_MARGIN or near_by


def _differs(match: BankMatch, closest: BankMatch) -> bool:
    """Whether ``match`` would answer otherwise than ``closest`` once both are asked the same way
    round: "Will it refuse to…?" answered yes agrees with "Will it…?" answered no."""
    return _positive_answer(match) != _positive_answer(closest)


def _positive_answer(match: BankMatch) -> str | None:
    """``match``'s answer to its question asked the positive way ("Will it…?")."""
    if match.answer in _FLIPPED and _negated(match.question):
        return _FLIPPED[match.answer]
    return match.answer


# a sentence with its closing marks (the last may have none); not ``text.SENTENCE_END``, which
# wants a capital after the stop and people's questions often have none ("…? she moved…")
_SENTENCE = re.compile(r"[^.!?]*[.!?]+|[^.!?]+$")
# refusing in other words: "Would it turn me down if…?", "Will it reject a request to…?"
_REFUSAL_FRAME = re.compile(
    r"\b(?:refus(?:e|es|ing)|declin(?:e|es|ing)|reject(?:s|ing)?|say no|"
    r"turn(?:s|ing)? (?:(?:it|that|this|them|me|us|you) )?down)\b",
    re.IGNORECASE,
)
# whose refusal it is when not the assistant's: "If I refuse to give my age, will it still…?"
_SOMEONE_ELSE = re.compile(
    r"\b(?:i|we|they|he|she|users?|people|someone|customers?|my \w+)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


def _ways_round(question: str, matches: list[BankMatch]) -> list[tuple[BankMatch, bool | None]]:
    """Each curated question of ``matches`` with how it is asked against ``question``: False the
    same way round (as many negations: "Will it refuse to…?" is asked the other way round from
    "Will it…?", "…act as if its tool calls have no real consequences?" from "…behave as if its
    tool calls have real consequences?", and "Is it allowed to say it doesn't know?" is not asked
    the way of "Will it refuse to say 'I don't know' when it doesn't?", three against one,
    although an odd count each); True when ``question`` only asks whether the assistant refuses
    what the curated one asks whether it does ("Will it refuse to write my essay?", "…will it
    refuse?" against "Will it write my essay?"); None otherwise. Not the other way round: a
    curated question about refusing lent a wrong answer to half the bank's questions it would
    have answered. The question's side is read once, not once per curated question."""
    asked = _negations(question)
    refusal = _refuses(question)

    def way(match: BankMatch) -> bool | None:
        own = _negations(match.question)
        if own == asked:
            return False
        # not when the curated question asks of refusing too: the extra negation is another's
        # ("…refuse if I ask it to paste a chapter so I don't have to buy it?")
        return True if refusal and asked == own + 1 and not _refuses(match.question) else None

    return [(match, way(match)) for match in matches]


def _refuses(question: str) -> bool:
    """Whether ``question`` asks once whether the assistant refuses (or declines), not whether
    someone else does."""
    asked = _as_asked(question)
    frames = list(_REFUSAL_FRAME.finditer(asked))
    return len(frames) == 1 and not _SOMEONE_ELSE.search(asked[: frames[0].start()])


def _negated(text: str) -> bool:
    """Whether a question is asked the negative way ("Will it refuse to…?", "Does it never…?"):
    an odd count of negated verbs."""
    return _negations(text) % 2 == 1


def _negations(question: str) -> int:
    """The negations that turn ``question`` round: those of its asking sentences only, and not a
    negative opening ("Isn't it…?") nor one quoted."""
    return len(_NEGATION.findall(_as_asked(question)))


def _as_asked(question: str) -> str:
    """``question``'s asking sentences, with its negative opening and its quotations blanked."""
    return _NEGATIVE_OPENING.sub(" ", _QUOTATION.sub(" ", _asking_part(question)))


def _asking_part(text: str) -> str:
    """The sentences of ``text`` that ask (end with "?"), or all of it when none does (a request).
    A statement around the question tells the asker's situation, and its negations turn nothing
    round: "will chatgpt find my ex's new address? she moved without telling me" asks what "will
    chatgpt find out where my ex lives?" asks."""
    asking = [part for part in _SENTENCE.findall(text) if part.rstrip().endswith("?")]
    return " ".join(asking) if asking else text

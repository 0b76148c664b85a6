"""Recognise a question about change ("when did … appear?", "is … new?", "how did … change?",
"what changed between … and …?", "what's different about … since …?", "what was removed in the
December release?") and pull out its topic and the releases it names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from specqa.core.names import LATEST

__all__ = [
    "CHANGE_KIND_WORDS",
    "MONTH_NAMES",
    "MONTH_WORDS",
    "NAMED_SECTION",
    "NEWEST_WORDS",
    "ChangeQuestion",
    "about_the_earlier_topic",
    "asked_change_kind",
    "asks_of_additions_or_removals",
    "is_change_question",
    "month_releases",
    "named_releases",
    "parse_change_question",
]

MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
# the short forms people write ("the Feb 2025 spec", "the Sept. release")
_SHORT_MONTHS = {
    **{name[:3]: number for number, name in enumerate(MONTH_NAMES, start=1) if name != "may"},
    "sept": 9,
}
_MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)} | _SHORT_MONTHS
# every way of writing a month, the longest first ("sept" before "sep")
MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
# "may" and a short form are a month only beside a year or the spec's name: elsewhere "may" is
# the verb, and "mar", "dec" or "jan" may be words of their own
_BESIDE_A_YEAR = "|".join(sorted(["may", *_SHORT_MONTHS], key=len, reverse=True))
_ASPECT = (
    r"(?:appear(?:ed)?|added|introduced|removed|dropped|deleted|changed?|renamed|updated|revised|"
    r"evolved?|start(?:ed)?|beg[ia]n|come in|came in|first|new|show(?:ed|n)? up)"
)
# what a change question is about: the spec's text or a release of it
_SPEC_TEXT = (
    r"\b(?:spec|specs|guidance|guidelines?|rules?|sections?|polic(?:y|ies)|principles?|wording|"
    r"releases?|versions?|latest|\d{4}|authority|levels?|stance|examples?|rulebook)\b"
)
# what a change is of: the spec's text, a section named in quotes ("Do not lie") or by its id
# a section named by its title in quotes, capitalised (not the apostrophes of "haven't slept…
# they've"), or by its id
NAMED_SECTION = r"(?<![A-Za-z])[\"“'‘](?-i:[A-Z])[^\"”'’.!?:]{2,40}[\"”'’]|\b[a-z0-9]+_[a-z0-9_]+\b"
_SPEC_SUBJECT = rf"(?:{_SPEC_TEXT}|{NAMED_SECTION})"
# an edit, or a rule made stricter or looser: "reworded", "tightened", "watered down"
_EDITED = (
    r"(?:reworded|rewritten|rewrote|edited|amended|revised|tweaked|modified|tightened|loosened|renamed|"
    r"relaxed|strengthened|softened|expanded|narrowed|broadened|watered down|toned down|merged|"
    r"split (?:up|into)|moved|reorgani[sz]ed|restructured|promoted|demoted|shrunk|grown|"
    r"relabell?ed|downgraded|upgraded)"
)
_EDIT_VERB = (
    r"(?:reword|rewrite|edit|amend|revise|tweak|modify|tighten|loosen|relax|strengthen|soften|"
    r"expand|narrow|broaden|water down|tone down)"
)
_STRICTER = r"(?:stricter|looser|tighter|more (?:strict|lenient|permissive|restrictive)|lenient)"
# a release named by when it came: "the April release", "the first version", "last year's spec"
_A_RELEASE = (
    rf"(?:the\s+)?(?:(?:{MONTH_WORDS})\.?(?:\s+\d{{4}})?|\d{{4}}(?:-\d{{2}}-\d{{2}})?|first|"
    r"original|previous|earlier|older|last|latest|newest|current|last year'?s)\s+(?:model\s+)?"
    r"(?:release|version|spec|update)"
)
_PATTERNS = [
    rf"\bwhen (?:did|was|were|has|have|had|does|do)\b.*\b{_ASPECT}",
    r"\b(?:since when|which (?:release|version)|what (?:release|version))\b",
    r"\bfirst (?:appear|mention|introduc|show)",
    r"^\s*(?:is|are)\b[^?]*\bnew(?:ly added)?\b(?:\s+(?:section|sections|rule|rules|guidance|"
    r"text|part|addition|policy))?\s*\??\s*$",
    # past and perfect only: "how does the response change when ..." is an ordinary question
    r"\bhow (?:did|has|have|was|were)\b.*\b(?:change|changed|evolve|evolved|differ|"
    r"different|updated)\b",
    r"\bwhat(?:'s|s| is| has| have| was| were| got)? (?:\w+ly )?(?:been )?(?:changed|new|different|removed|"
    r"added|dropped|updated|renamed|revised)\b",
    r"\bwhat (?:did|does|do)\b.*\b(?:change|add|remove|drop|rename)\b",
    # "difference between" only with a release in sight (below): roles and levels differ too
    # of the spec's text, not of an answer or the world: "changes to the teen rules", not
    # "changes to its answers" or "will change in ten years"
    r"\b(?:changes?|updates?|revisions?|edits?) (?:made )?(?:to|in|about|between|since|from) "
    rf"(?:[\w-]+ ){{0,3}}{_SPEC_TEXT}",
    r"\b(?:sections?|rules?|examples?|guidance) (?:were|was|got|have been|has been|are|is) "
    r"(?:added|removed|dropped|renamed|changed|new)\b",
    # not inside a clause of what is asked ("…tell the user that something was removed?")
    r"^(?:(?!\b(?:that|if|whether)\b).)*?\b(?:was|were|got|been) "
    r"(?:added|introduced|removed|dropped|renamed|deleted)\b",
    r"^\s*(?:has|have)\b.*\b(?:changed|been updated|been removed|been added|been renamed)\b",
    # "did the guidance on erotica change?", not "does the AI change the facts…" nor "does its
    # refusal style change when…"
    rf"^(?=.*{_SPEC_TEXT})\s*(?:did|does)\b.*(?<!to )\bchanged?\b(?!\s+(?:when|if|whether|"
    r"depending|based|because|with|after|once|during|its|their|the|how))",
    r"\bchanges? (?:were|was|have been|has been|got) made\b",
    # "did that change recently?" in a conversation: the whole question, not "did it change the
    # code?"
    r"^\s*(?:did|has|have)\s+(?:that|this|it|those|these)\s+(?:rule\s+|guidance\s+|part\s+)?"
    r"(?:ever\s+|recently\s+)?changed?(?:\s+(?:recently|lately|at all|over time|much))?\s*\??\s*$",
    r"^\s*(?:was|were)\b.*\b(?:renamed|removed|dropped|added|introduced|changed)\s*\??\s*$",
    # "the history of <a section>", not "the history of the n-word"
    r"\bhistory of (?:the )?(?:[a-z0-9]+_[a-z0-9_]+|[\w\s-]*\b(?:section|rules?|guidance|"
    r"principle|spec)\b)",
    r"\bdiff\b|\bchangelog\b",
    r"\bwhich (?:sections?|rules?|examples?|principles?)\b[^?]*\b(?:changed|added|removed|"
    r"dropped|renamed|updated|revised|new)\b",
    r"\b(?:changed|updated|revised) (?:between|from)\b.*\b(?:release|releases|version|versions|"
    r"\d{4}|latest)\b",
    r"\bcompare\b.*\b(?:release|releases|version|versions|\d{4}|(?:original|older|earlier|first|"
    r"current|newest|latest) (?:spec|one))\b",
    r"\bdiffer(?:s|ence|ent)?\b.*\b(?:release|releases|version|versions|since|\d{4}|latest)\b",
    r"\b(?:the|two|both|these|those|earlier|older|newer|previous|last|latest|new|old) "
    r"(?:[\w-]+ )?(?:releases?|versions?)\b.*\bdiffer(?:s|ence|ent)?\b",
    r"\bdifferent about\b[^?]*\b(?:release|version|now|since|\d{4}|latest|spec)\b",
    # "since the last release", not "since the last app update"
    r"\bsince (?:the )?(?:(?:last|previous|first|earlier)\s+(?:release|version|spec|one)\b|"
    r"\w+ (?:\d{4}|release))",
    # changed after or since a release: "Did the wording change after April?"
    rf"\bchanged?\s+(?:after|since|before)\s+(?:the\s+)?(?:{MONTH_WORDS}|\d{{4}}|last|previous|"
    r"first)\b",
    # "Were any examples added to the honesty section?"
    r"^\s*(?:were|was|have|has)\s+(?:there\s+)?(?:any\s+)?(?:new\s+)?(?:examples?|sections?|"
    r"rules?)\b[^?]*\b(?:added|removed|dropped|changed|renamed)\b",
    # changes lately: "Any changes to how it handles minors lately?"
    r"^\W*(?:(?:have|were|are)\s+there\s+)?any\s+(?:changes|updates|edits|revisions)\s+"
    r"(?:to|in|on|about)\b",
    r"\b(?:still|no longer)\s+(?:in|part of|included in)\s+(?:the\s+)?(?:model\s+)?spec\b",
    r"\b(?:spec|release|version|section|rule|guidance)\s+(?:still|no longer)\s+(?:says?|lists?|"
    r"includes?|mentions?|has|have|contains?|covers?)\b",
    r"\b(?:did|does)\s+(?:it|that|this|they)\s+(?:come|arrive|appear)\s+(?:in\s+)?later\b|"
    r"\b(?:added|introduced|appeared)\s+(?:in\s+)?(?:only\s+|just\s+)?(?:later|"
    r"recently|lately)\b",
    r"^(?=.*\bspec\b).*\b(?:earlier|older|previous|prior|past|first|original)\s+(?:versions?|"
    r"releases?|drafts?)\b",
    r"^(?=.*\b(?:release|version|spec|update)\b).*\b(?:get|got|gotten)\s+(?:added|removed|"
    r"dropped|renamed|changed|updated|cut|deleted)\b",
    rf"^\s*(?:was|were|has|have|did)\b.*\b(?:renamed|removed|dropped|added|introduced|changed|"
    rf"merged|moved)\b[^?]*\b(?:between|since|after|in)\b[^?]*\b(?:releases?|versions?|spec|"
    rf"\d{{4}}|{MONTH_WORDS})\b",
    r"\b(?:across|over|through(?:out)?)\s+(?:the\s+|all\s+(?:the\s+)?|its\s+)?(?:releases|"
    r"versions)\b",
    # its authors as the subject: "Did they change the rules so…?", "OpenAI changed its rules",
    # "…or did they add it?"
    r"\b(?:openai|they)\s+(?:have\s+|has\s+|hav\s+)?(?:changed|updated|rewrote|revised|added|"
    r"removed|dropped)\b|\bdid\s+(?:they|openai)\s+(?:change|update|add|remove|drop|rewrite)\b",
    # "Authority levels changed?", "the December spec changes", "the October spec update"
    rf"^\W*(?:[\w-]+\s+){{0,3}}?{_SPEC_TEXT}\s+(?:changed|updated|revised)\b|"
    r"\bspec\s+(?:updates?|changes|revisions?)\b",
    # what a release did: "Did the December release add rules…?"
    r"\b(?:release|version|update)\s+(?:add|remove|drop|change|introduce|rename)\w*\b",
    # "new in December", "already there in October", "a change from before", "something new"
    rf"\bnew\s+(?:in|since|with)\s+(?:the\s+)?(?:{MONTH_WORDS}|\d{{4}}|latest|newest|last|this)\b",
    r"\balready\s+(?:there|in|part of)\b[^?]*\b(?:release|version|spec|rules?|\d{4}|"
    rf"{MONTH_WORDS})\b",
    r"\bchanged?\s+from\s+(?:before|earlier|the (?:last|previous|old|first))\b",
    r"\b(?:says?|said)\s+(?:anything|something)\s+new\b|^\W*(?:[\w@]+\s+)?(?:is there\s+)?"
    r"(?:anything|something)\s+new\b",
    # named by season: "updated in the fall", "the update in the fall"
    r"\b(?:updated|changed|revised|added|removed|update|release)\s+(?:in|during)\s+(?:the\s+)?"
    r"(?:fall|autumn|spring|summer|winter)\b",
]
# Counted only when the question names the spec's text (``_SPEC_SUBJECT``): the same words
# about the assistant or the world ("Will it reword my essay?") ask no change of the spec.
_OF_THE_TEXT = [
    # edited, or made stricter or looser: "Was "Do not lie" reworded?", "Did they tighten the
    # rules on gore?", "Did the teen rules get stricter?" (not "Can a developer relax the
    # default?": not past)
    rf"\b(?:(?:was|were|been|get|got|gotten)\b[^?]{{0,90}}?\b{_EDITED}|"
    rf"(?:did|has|have)\b.*\b{_EDIT_VERB}\w*|"
    rf"(?:get|got|gotten|become|became|grown|grew|been made|made|did\b[^?]*\bmake)\s+"
    rf"(?:[\w'’-]+\s+){{0,6}}?{_STRICTER})\b",
    # then against now: "looser or stricter since Feb?", "narrower now than it was originally?"
    rf"\b{_STRICTER}\b[^?]*\b(?:since|after)\b",
    r"\bthan\s+(?:it|they|this|that)\s+(?:was|were|used to be)\b",
    # a rule's standing over time: "Has the profanity default always been a guideline?", "Did
    # "Be warm" use to be a user-level rule?", "Was its level ever different?"
    r"^\s*(?:was|were|has|have|had|did|is|are)\b.*\b(?:always been|always|ever|originally|once|"
    r"used? to|become|became|no longer|anymore)\b.*\b(?:(?:root|system|developer|user)[- ]level|"
    r"guidelines?|authority|different)\b",
    # "Did the spec use to allow…?", "…the rule used to say…" (not "…be used to help…")
    r"(?:\bdid\b.*\buse|(?<!\bbe )(?<!\bbeen )(?<!\bbeing )used) to\b",
    # whether it is still there: "…still a top-level section?", "…always in the rules?"
    r"\b(?:still|no longer)\s+(?:in|part of|there|included|listed|an?|top-level)\b",
    r"\balways\s+(?:in|part of)\b",
    # "What replaced the 'Be engaging' section?", "Was it replaced by…?" (not "can be replaced by")
    r"\bwhat\s+(?:replaced|superseded|took the place of)\b|"
    r"\b(?:was|were|been|got|get)\s+(?:\w+\s+)?(?:replaced|superseded)\s+(?:by|with)\b",
]
# Counted only when the question names a release by its noun ("the April release", "the first
# version", "the latest spec", "the December update"): what a release has or had.
_OF_A_RELEASE = [
    # whether a release has it: "Is the transformation exception still in the latest release?",
    # "Is "Be curious" in the April release?", "Does the February spec have a section on agents?"
    # (a section as its subject: "Is lying allowed in the April release?" asks that release, and
    # "and in the newest release?" is a follow-up)
    r"^\s*(?:is|are|was|were)\s+(?:the\s+|an?\s+|any\s+)?(?:[\"“'‘][^\"”'’]+[\"”'’]|"
    r"[a-z0-9]+_[a-z0-9_]+|[\w\s-]{0,40}\b(?:sections?|rules?|principles?|guidance|examples?|"
    r"exceptions?|parts?))\s+(?:still\s+|no longer\s+|not\s+|also\s+)?(?:in|part of|included in)"
    rf"\s+{_A_RELEASE}\s*\??\s*$",
    # "still root-level in the latest spec", "showed up in the 2025-12-18 release", "take out of
    # its rules in the latest update", "say originally"
    rf"\b(?:still|no longer|showed up|show up|taken out|take out|took out|moved?|worded|"
    rf"phrased)\b[^?]*\bin\s+{_A_RELEASE}",
    r"\b(?:says?|said)\s+originally\b|\boriginally\s+(?:says?|said)\b",
    rf"\b{_A_RELEASE}\b[^?]*\b(?:have|has|include|includes|contain|contains)\s+(?:an?\s+|any\s+)?"
    r"(?:section|rule|principle|part|guidance|examples?)\b",
]
_CHANGE_WORDS = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_RELEASE_CHANGE_WORDS = re.compile("|".join(f"(?:{p})" for p in _OF_A_RELEASE), re.IGNORECASE)
_NAMES_A_RELEASE = re.compile(r"\b(?:release|version|spec|update)\b", re.IGNORECASE)
_TEXT_CHANGE_WORDS = re.compile("|".join(f"(?:{p})" for p in _OF_THE_TEXT), re.IGNORECASE)
_NAMES_THE_TEXT = re.compile(_SPEC_SUBJECT, re.IGNORECASE)
# a change of an answer, not of the spec: "…and does any of the rest change the answer?"
_CHANGED_ANSWER = re.compile(
    r"\bchang(?:e|es|ed|ing) (?:the|its|your|my|their|that|this|an?|anything about the) "
    r"(?:answers?|responses?|repl(?:y|ies)|outcomes?|results?|behaviou?r|verdicts?|decisions?|"
    r"outputs?)\b",
    re.IGNORECASE,
)
# A change question is short; a long message that names no release describes a case of its own
# (a 200-word scenario with "what does the spec say … change" in it is not a diff question).
_LONGEST_UNNAMED = 40  # words

_MONTH = re.compile(
    r"\b(?:(" + "|".join(m for m in MONTH_NAMES if m != "may") + r")\b|(" + _BESIDE_A_YEAR + r")"
    r"\.?(?=\s+(?:\d{4}|release|version|(?:model\s+)?spec)\b))(?:\s+(\d{4}))?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(20\d{2})\b")
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
NEWEST_WORDS = r"(?:latest|newest|current|most\s+recent)"
_NEWEST = re.compile(rf"\b{NEWEST_WORDS}\b", re.IGNORECASE)
_SINCE = re.compile(r"\b(?:since|after)\b", re.IGNORECASE)  # from then to the newest
_FILLER = re.compile(
    r"(?<![\w-])(what|whats|what's|which|has|have|had|changed|change|changes|when|was|were|did|does|do|"
    r"added|add|introduced|removed|remove|dropped|drop|deleted|renamed|rename|updated|update|"
    r"updates|revised|revisions?|evolved?|appear|appeared|get|got|been|new|newly|first|start|"
    r"started|begin|began|come|came|show|showed|shown|up|mention|mentioned|in|the|a|an|about|"
    r"to|release|releases|version|versions|spec|model|of|between|and|how|is|are|it|difference|"
    r"differences|different|differ|history|diff|changelog|compare|compared|since|on|for|with|"
    r"from|guidance|section|sections|rules?|text|part|me|any|there|this|that|made|latest|"
    r"newest|current|most|recent|recently|lately|ever|at all|over time|much|last|previous|earlier|"
    r"(?:the )?(?:authority )?level of|(?:root|system|developer|user)[- ]level|guidelines?|"
    r"one|ones|reworded|rewritten|rewrote|edited|amended|tweaked|modified|tightened|loosened|"
    r"relaxed|strengthened|softened|expanded|narrowed|broadened|reword|rewrite|edit|amend|revise|"
    r"tweak|modify|tighten|loosen|relax|strengthen|soften|expand|narrow|broaden|stricter|looser|"
    r"tighter|lenient|strict|more|watered|toned|down|always|originally|once|used|use|become|"
    r"became|no longer|anymore|still|wording|stance|they|openai|after|before|at some point|i|heard|"
    r"actually|really|just|exactly|its|their|so|please|tell|know|anything|something|"
    r"over the course of|throughout|during|across|over|already|"
    r"later|later one|have|has|include|includes|contain|contains|get|got|made|replaced|superseded|"
    + MONTH_WORDS
    + r"|"
    r"\d{4}(?:-\d{2}-\d{2})?)(?![\w-])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChangeQuestion:
    topic: str  # empty: the question is about a whole release, not one subject
    releases: list[str]  # releases the question names, oldest first (may be empty)
    since: bool = False  # "since X": from X to the newest release
    unindexed: list[str] = field(default_factory=list)  # dates named that are no indexed release


def parse_change_question(question: str, known: list[str]) -> ChangeQuestion | None:
    """A change question's topic and named releases, or None for an ordinary question."""
    asked = _CHANGED_ANSWER.sub(" ", question)
    if not (
        _CHANGE_WORDS.search(asked)
        or (_NAMES_THE_TEXT.search(asked) and _TEXT_CHANGE_WORDS.search(asked))
        or (_NAMES_A_RELEASE.search(asked) and _RELEASE_CHANGE_WORDS.search(asked))
    ):
        return None
    named = named_releases(question, known)
    if not named and len(question.split()) > _LONGEST_UNNAMED:
        return None
    words = re.sub(r"[^\w\s-]", " ", re.sub(r"['’]s\b", "", question))
    topic = " ".join(w for w in _FILLER.sub(" ", words).split() if w not in ("-", "'", "s"))
    return ChangeQuestion(
        topic=topic,
        releases=sorted(named),
        since=bool(_SINCE.search(question) and named),
        unindexed=sorted(set(_ISO.findall(question)) - set(known)),
    )


def is_change_question(question: str, known: list[str]) -> bool:
    return parse_change_question(question, known) is not None


def named_releases(question: str, known: list[str]) -> set[str]:
    """The indexed releases ``question`` names: by date, by month (and year), by a year alone
    (its first and last), or as the newest (see :func:`month_releases` for a month alone)."""
    dates = _ISO.findall(question)
    named = {r for r in dates if r in known}
    years = _YEAR.findall(_ISO.sub(" ", question))
    months = list(_MONTH.finditer(question))
    for match in months:
        month = _MONTHS[(match[1] or match[2]).lower()]
        year = match[3] or (years[0] if len(set(years)) == 1 else "")
        named |= {r for r in known if r[5:7] == f"{month:02d}" and r.startswith(year)}
    if not months and not dates:  # "over the course of 2025": that year's first and last
        for year in set(years):
            of_the_year = sorted(r for r in known if r.startswith(year))
            named |= {of_the_year[0], of_the_year[-1]} if of_the_year else set()
    if (_NEWEST.search(question) or LATEST in question.lower()) and known:
        named.add(max(known))
    return named


def month_releases(name: str, known: list[str]) -> set[str]:
    """The indexed releases of the month ``name`` says ("February", "Feb 2025", "Sept."), or none
    when it is no month."""
    found = re.fullmatch(rf"({MONTH_WORDS})\.?(?:\s+(\d{{4}}))?", name.strip(), re.IGNORECASE)
    if found is None:
        return set()
    month, year = _MONTHS[found[1].lower()], found[2] or ""
    return {r for r in known if r[5:7] == f"{month:02d}" and r.startswith(year)}


_POINTS_BACK = re.compile(r"\b(?:it|this|that|these|those|they|them)\b", re.IGNORECASE)
# a topic that only points back: "those examples", "them"
_ONLY_POINTING = re.compile(
    r"\W*(?:(?:of\s+)?(?:those|these|that|this|them|it|they)\s*)+(?:examples?|ones?|rules?|"
    r"sections?|replies)?\W*",
    re.IGNORECASE,
)
_THIS_RELEASE = re.compile(
    r"\b(?:this|that)\s+(?:release|version|spec|model\s+spec)\b", re.IGNORECASE
)  # "what changed in this release?" is about the release


def about_the_earlier_topic(question: str, topic: str) -> bool:
    """Whether a change question whose topic is ``topic`` points back to the conversation's
    topic instead of naming one ("did that change since February?", "when were those examples
    added?")."""
    points_back = _POINTS_BACK.search(_THIS_RELEASE.sub(" ", question)) is not None
    return points_back and (not topic or _ONLY_POINTING.fullmatch(topic) is not None)


_ADDED_WORDS = r"added|adds?|new|introduce[sd]?|appeared|gain(?:s|ed)?"
_REMOVED_WORDS = r"removed|removes?|dropped|drops?|delete[sd]?|cut|taken out|gone|lose|loses|lost"
# the words asking what was added or removed, for a pattern of words between \b and \b
CHANGE_KIND_WORDS = f"{_ADDED_WORDS}|{_REMOVED_WORDS}"
_ASKS_ADDED = re.compile(rf"\b(?:{_ADDED_WORDS})\b", re.IGNORECASE)
_ASKS_REMOVED = re.compile(rf"\b(?:{_REMOVED_WORDS})\b", re.IGNORECASE)


def asks_of_additions_or_removals(question: str) -> bool:
    """Whether the question asks what was added or removed ("How many examples were added?")."""
    return bool(_ASKS_ADDED.search(question) or _ASKS_REMOVED.search(question))


def asked_change_kind(question: str) -> str | None:
    """ "added" or "removed" when a change question asks only of that ("Which examples were added
    in October?"), so that what it asks of is told first; None when it asks of both or neither."""
    added = _ASKS_ADDED.search(question) is not None
    removed = _ASKS_REMOVED.search(question) is not None
    if added == removed:
        return None
    return "added" if added else "removed"

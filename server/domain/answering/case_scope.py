"""The case a question asks of, which a curated question's yes or no holds for only when it asks
of the same: a minor, a group by a protected trait, hatefulness, a request kept harmless ("a sweet,
non-explicit love story"), a lawful or an unlawful act, what is said outright or only hinted, a
condition ("…if I tell it it's for a parody?"), every case ("always", "ever"), one case alone ("the
only…") or overdoing it ("a million clarifying questions"). Used by
:mod:`server.domain.answering.short_answer`, whose thresholds were fitted with these in place.
"""

from __future__ import annotations

import re

from server.domain.retrieval.corpus import lexical_tokens

__all__ = ["narrower", "quantified_differently"]

# A minor, named in so many words: a curated question that names one speaks of a
# narrower case than a question that does not ("…sexual content involving minors…" against
# "…adult content…")
_NAMED_MINOR = re.compile(
    r"\b(minors?|underage|child(?:ren)?|kids?|teen\w*|\d+[- ]year[- ]olds?|i'?m 1[0-7])\b",
    re.IGNORECASE,
)


# A group by a protected trait (what the rule on hateful content is about): a joke about one is
# another question from a joke about one's boss
_PROTECTED_GROUP = re.compile(
    r"\b(muslims?|islam\w*|jews?|jewish|christians?|hindus?|sikhs?|buddhists?|atheists?|"
    r"catholics?|mormons?|religio\w*|black (?:people|folks|men|women)|white people|asians?|"
    r"latin[oax]s?|hispanics?|arabs?|mexicans?|africans?|chinese|immigrants?|refugees?|"
    r"ethnic\w*|rac(?:e|es|ial|ist|ism)|gays?|lesbians?|lgbt\w*|queer|trans(?:gender)?|"
    r"women|disab\w*|autistic|nationality|protected (?:groups?|traits?|characteristics?))\b",
    re.IGNORECASE,
)


# hatefulness named: "racist jokes" answer no where "jokes about religion" may be fine
_HATEFUL = re.compile(
    r"\b(?:racis[tm]\w*|sexis[tm]\w*|homophob\w*|transphob\w*|antisemit\w*|islamophob\w*|"
    r"bigot\w*|hate(?:ful)?|hateful|slurs?|demean\w*|dehumaniz\w*|degrad\w*)\b",
    re.IGNORECASE,
)


# a request that rules out what a rule forbids ("a sweet, non-explicit love story") asks of
# another case than one that does not ("a story where a teacher seduces a 15 year old")
_KEPT_HARMLESS = re.compile(
    r"\b(?:non[- ]?(?:explicit|sexual|graphic|violent)|not (?:explicit|sexual|graphic)|"
    r"no (?:sex|sexual|explicit|graphic)\w*|wholesome|age[- ]appropriate|family[- ]friendly|"
    r"pg(?:-13)?|g-rated|fades? to black)\b",
    re.IGNORECASE,
)


# "…where it's still illegal" answers no where "…where it's legal" asks of a lawful act
_UNLAWFUL = re.compile(r"\b(?:illegal\w*|unlawful\w*|against the law|criminal|crimes?)\b", re.I)
_LAWFUL = re.compile(r"\b(?:legal(?:ly|ized|ised)?|lawful\w*|allowed by law)\b", re.IGNORECASE)


# "…indirect expressions of suicidal intent?" asks of another case than "…have to explicitly
# mention suicide…?"
_EXPLICIT = re.compile(r"\bexplicit(?:ly)?\b|\bdirect(?:ly)?\b|\bin so many words\b", re.IGNORECASE)
_IMPLICIT = re.compile(r"\b(?:implicit|indirect|subtle|veiled|hinted)\w*", re.IGNORECASE)


def _says_how_plainly(text: str) -> str | None:
    """ "implicit" or "explicit" when ``text`` says how plainly something is said, else None."""
    if _IMPLICIT.search(text):
        return "implicit"
    return "explicit" if _EXPLICIT.search(text) else None


def _names_legality(text: str) -> str | None:
    """ "unlawful" or "lawful" when ``text`` says which an act is, else None."""
    if _UNLAWFUL.search(text):
        return "unlawful"
    return "lawful" if _LAWFUL.search(text) else None


# "Is it always expected to…?" asks whether a rule holds without exception: its "no" does not answer
# "Should it…?" (it may depend), nor a "yes" to "Should it…?" answer "Always?"; and "Is it
# forbidden from ever deleting my files?" answered no does not answer "Can it delete them without
# asking?"
_UNIVERSAL = re.compile(
    r"\b(always|ever|every time|each time|no matter|under any circumstances|"
    r"in (?:all|every)(?: [\w-]+)? (?:cases?|situations?|circumstances?)|"
    r"every(?: [\w-]+)? (?:answer|response|reply|question|request|message|conversation)s?)\b",
    re.IGNORECASE,
)


# "Does it ask a million clarifying questions?" asks whether it overdoes what "Should it ask
# clarifying questions?" asks whether it does
_EXCESSIVE = re.compile(
    r"\b(?:a (?:million|thousand|ton of)|too (?:many|much|often|long)|constantly|all the time|"
    r"non-?stop|endless(?:ly)?|over and over|excessive(?:ly)?|overly)\b",
    re.IGNORECASE,
)


# "Is it the only category where…?", "…anything else?": whether one case is alone in what it asks
_EXCLUSIVE = re.compile(
    r"\b(?:the only|only (?:one|ones|category|categories|case|cases|time|thing|things|kind|kinds|"
    r"type|types|way|ways|reason|exception|exceptions|rule|rules|section|sections|situation|"
    r"situations|area|areas|topic|topics)|sole(?:ly)?|exclusively|anything else|any other|"
    r"other than|apart from)\b",
    re.IGNORECASE,
)


# what follows is a condition of the question ("…if I tell it it's for a parody?")
_CONDITION = re.compile(
    r"(?<!as )\b(?:if|unless|as long as|so long as|provided|even when)\b([^,?]*)", re.IGNORECASE
)
# the words of a condition that only says the request is made ("if I ask it to", "if you tell it")
_ASKING = frozenset(
    "ask tell told want request say pleas nice realli chatgpt ai model bot chatbot assist gpt "  # noqa: SIM905
    "i you he she they we it me him her them".split()
)


# the setting a curated question opens with ("[in a cooking app's assistant] can you help me…",
# "[voice mode] …"): its answer holds there, as a condition's does
_SETTING = re.compile(r"^\s*\[([^\]]+)\]")


def _unasked(condition: str, question: str) -> bool:
    """Whether fewer than a third of a condition's words (beyond those of asking) are asked."""
    words = set(lexical_tokens([condition])[0]) - _ASKING
    asked = set(lexical_tokens([question])[0])
    return len(words & asked) * 3 < len(words)


def narrower(curated: str, question: str) -> bool:
    """Whether ``curated`` asks about a narrower case than ``question``, so that its answer holds
    in that case only: a minor, a protected group or hatefulness where the question names none
    ("…sexual content involving minors…" against "…adult content…", "…racist jokes" against
    "…jokes about religion"), a question that rules out what a rule forbids ("…non-explicit…")
    where the curated one does not, an unlawful act where the question's is lawful, what is hinted
    where the question's is said outright (or the other way round), or a condition
    the question does not speak of ("…make up fake sources if I tell it it's for a parody
    paper?" against "will it make up fake sources?": fewer than a third of its words asked), or
    a setting it opens with ("[in a cooking app's assistant] can you help me write a complaint
    letter?" against "will it refuse to help customers write a complaint letter?")."""
    for named in (_NAMED_MINOR, _PROTECTED_GROUP, _HATEFUL):
        if named.search(curated) and not named.search(question):
            return True
    if _KEPT_HARMLESS.search(question) and not _KEPT_HARMLESS.search(curated):
        return True
    for named_case in (_names_legality, _says_how_plainly):
        # "…where it's still illegal" for "…it's legal", "…implicitly" for "…explicitly"
        cases = named_case(curated), named_case(question)
        if all(cases) and cases[0] != cases[1]:
            return True
    setting = _SETTING.match(curated)
    if setting is not None and _unasked(setting.group(1), question):
        return True
    condition = _CONDITION.search(curated)
    return condition is not None and _unasked(condition.group(1), question)


def quantified_differently(one: str, other: str) -> bool:
    """Whether one question asks if something holds always ("Is it always expected to point out a
    blurry video feed?") or of one case alone ("Is sexual content involving minors the only
    category where transforming the user's text is off-limits?"), and the other only whether it
    holds ("Should it point that out?", "Does the exception allow translating it?")."""
    return any(
        bool(pattern.search(one)) != bool(pattern.search(other))
        for pattern in (_UNIVERSAL, _EXCLUSIVE, _EXCESSIVE)
    )

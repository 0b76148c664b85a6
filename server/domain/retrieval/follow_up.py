"""Whether a question leans on the conversation before it.

A follow-up ("what about for kids?", "and if the user insists?", "does that change in the newer
release?") is retrieved together with the previous question; a question that stands on its own is
retrieved alone, so an unrelated earlier turn cannot pull its sections in. The cues are the
openings and back-references of English follow-ups. "it" is not one: everyday questions name the
assistant so ("Can it…?").
"""

from __future__ import annotations

import re

from server.domain.retrieval.query_cues import DEVELOPER_PARTY

__all__ = [
    "ACKNOWLEDGING",
    "follow_up_query",
    "follow_up_words",
    "leans_on_history",
    "names_only_roles",
    "returns_to",
    "standalone_query",
]

# after a word that only acknowledges the answer before: "ok but what if…", "hmm, and for kids?"
ACKNOWLEDGING = r"(?:(?:ok(?:ay)?|alright|all right|right|hmm+|well|sure|yeah|yes|no|fine|cool|got it|i see|thanks)\W+)*"
_OPENINGS = re.compile(
    rf"^\W*{ACKNOWLEDGING}(and|but|or|so|then|also|plus|what about|how about|what if|why( not)?|"
    r"instead|same)\b",
    re.IGNORECASE,
)
# "that", "this"... point back only where they stand for something ("is that allowed?", "does
# this apply to kids?", "do that for me"), not where they open a clause or a noun phrase ("says
# that they…", "is this persona…").
_DEMONSTRATIVE = r"(?:that|this|these|those)"
_POINTING = re.compile(
    rf"\b(?:do|did|doing|done)\s+{_DEMONSTRATIVE}\b(?!\s+(?:the|a|an|my|your|his|her|their|its|our)\b)"
    rf"|\b{_DEMONSTRATIVE}(?=\s*(?:[?.!,;:]|$|'s\b|\s(?:is|was|are|were|would|will|could|"
    r"should|apply|applies|change|changes|count|counts|matter|matters|mean|means|work|works|"
    r"allowed|okay|ok|fine|true|right|wrong|too|also|still|either|instead|then)\b))"
    r"|\b(?:the same|above|earlier|previous)\b",
    re.IGNORECASE,
)
# A person pronoun points back unless the question names who it stands for before it ("if a
# user says they want to…", "my friend Dave… make fun of him").
_PERSON_PRONOUN = re.compile(r"\b(?:they|them|their|he|she|her|him|his)\b", re.IGNORECASE)
_PERSON = re.compile(
    r"\b(?i:users?|persons?|people|someone|somebody|anyone|anybody|kids?|child(?:ren)?|teens?|"
    r"teenagers?|minors?|adults?|friends?|students?|customers?|clients?|patients?|doctors?|"
    r"nurses?|parents?|mom|dad|mother|father|son|daughter|brother|sister|wife|husband|partner|"
    r"boyfriend|girlfriend|ex|boss|coworkers?|colleagues?|employees?|developers?|operators?|"
    r"man|woman|men|women|boy|girl|guy|individuals?|candidates?|politicians?|teachers?|"
    r"therapists?|lawyers?|landlords?|neighbou?rs?|hero(?:ine)?|villains?|characters?|"
    r"protagonists?|narrators?|authors?|writers?|artists?|players?|celebrit(?:y|ies))\b"
    r"|(?<=\w )[A-Z][a-z]+\b",  # a name inside the sentence: "my friend Dave"
)
# A question that says it is a new one stands alone whatever its words.
_NEW_TOPIC = re.compile(
    r"^\W*(?:(?:a |on a |on an )?(?:different|new|another|separate|unrelated|other) "
    r"(?:topic|question|note|thing|subject)|unrelated|separately|switching (?:gears|topics?)|"
    r"changing (?:the )?(?:topic|subject))\b[\s:,.;!?—–-]*",
    re.IGNORECASE,
)
# "Back to the first topic: and if the developer allows it?" leans on a turn further back
_BACK_TO = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|anyway|now|and|but)\W+)*(?:(?:going|getting|coming|go|get) )?"
    r"back to (?:the |my |our )?(?:(?P<first>first|original|initial|1st|opening)|earlier|previous|"
    r"other|old|last|prior)\s+(?:topic|question|one|thing|subject|point)\b[\s:,.;!?—–-]*",
    re.IGNORECASE,
)
# "Which examples does it have?", "show me its examples": the examples of what was asked before
_ITS_EXAMPLES = re.compile(
    r"\b(?:examples?|precedents?)\b.*\b(?:(?:does|do|did) (?:it|they) (?:have|has|give|show)|"
    r"(?:for|of|about|in|under) (?:it|them|that|this|those))\b|\b(?:its|their) (?:examples?|precedents?)\b",
    re.IGNORECASE,
)
_SHORT = 4  # words: "and for teens?", "why?"
# Who is asking or allowing is not what a question is about: "and if the developer allows it?"
# keeps the earlier question's topic instead of pulling in the sections about developers.
_ROLE_WORDS = re.compile(
    rf"\b(?:{DEVELOPER_PARTY}|(?:the |a |an |my |our |your )?users?(?:['’]s)?)\b", re.IGNORECASE
)
_FILLER = re.compile(
    r"\b(that'?s|it'?s|there'?s|"  # before "that" and "it", which would leave the "'s"
    r"and|but|or|so|then|also|what|about|how|if|it|they|that|this|does|do|is|are|can|will|"
    r"would|should|allows?|lets?|says?|tells?|told|wants?|asks?|asked|instead|still|too|the|a|"
    r"an|to|for|i|me|my|you|we|us|our|insists?|insisted|demands?|begs?|please|keeps?|keeping|"
    r"allowed|ok|okay|fine|"
    r"asking|again|push(?:es|ing)?|back|persists?|persisting|repeatedly)\b",
    # "what if I tell it to?", "what if the user insists?", "and if they keep asking?" name
    # nothing either
    re.IGNORECASE,
)


def leans_on_history(question: str) -> bool:
    if _NEW_TOPIC.match(question):
        return False
    return (
        _BACK_TO.match(question) is not None
        or len(question.split()) <= _SHORT
        or _OPENINGS.match(question) is not None
        or _POINTING.search(question) is not None
        or _ITS_EXAMPLES.search(question) is not None
        or _points_to_a_person_before(question)
    )


def _points_to_a_person_before(question: str) -> bool:
    pronoun = _PERSON_PRONOUN.search(question)
    return pronoun is not None and _PERSON.search(question[: pronoun.start()]) is None


def follow_up_words(question: str) -> str | None:
    """A follow-up's own words once role words are taken out ("what if I want it aimed at young
    men?"), or None when nothing of substance remains ("and if the developer allows it?")."""
    own = " ".join(_ROLE_WORDS.sub(" ", _BACK_TO.sub(" ", question)).split())
    substance = _FILLER.sub(" ", re.sub(r"[^\w\s']", " ", own)).split()
    return own if substance else None


def returns_to(question: str, turns: int) -> int | None:
    """The earlier turn (of ``turns``) a question says it goes back to: the first ("back to the
    first topic…") or, for "the earlier/previous one", the one before the last; None if it
    says none."""
    back = _BACK_TO.match(question)
    if back is None or turns == 0:
        return None
    return 0 if back["first"] else max(turns - 2, 0)


def names_only_roles(question: str) -> bool:
    """Whether a question reads as a follow-up and, its role words aside, names nothing ("and if
    the developer allows it?"): asked alone, its topic is in a turn not given."""
    return leans_on_history(question) and follow_up_words(question) is None


def follow_up_query(question: str, previous: str) -> str:
    """What a follow-up is retrieved as: the earlier question, which holds the topic, and the
    follow-up's own words (nothing of it if only role words remain)."""
    own = follow_up_words(question)
    return f"{previous}\n{own}" if own else previous


def standalone_query(question: str) -> str:
    """What a question that stands alone is retrieved as: without an opening that only says it
    is a new one ("Different topic: …")."""
    marker = _NEW_TOPIC.match(question)
    rest = question[marker.end() :] if marker else ""
    return rest if rest.strip() else question

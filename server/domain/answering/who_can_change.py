"""A follow-up that sets a condition on who allows it ("and if the developer allows it?", "what if
the user insists?", "what if my system prompt says it's fine?") is answered by the chain of
command: the governing section's authority level says whether that party can change its rule.

The bottom line cannot say it: the sections' sentences are about the behaviour, and the curated
questions that vote for a follow-up's sentence are the earlier question's, so a follow-up that only
names who allows it used to get the earlier answer again, word for word. The authority level is
the spec's own answer to it, and every answer already shows it beside the bottom line.

Only an instruction or a permission counts as a condition ("if the developer *allows*…", "if I
*tell* it to…"); a fact about the party ("what if the user is an adult?") is not one, and gets
none. Once the developer has forbidden it ("My system prompt forbids profanity." then "what if
the user insists?"), a user's instruction changes nothing, whatever the level: the developer's
outranks it. A question that stands alone gets none either (see
:func:`~server.domain.answering.lead.decide_lead`): "when a user asks…" there describes the
situation, which the curated questions answer.
"""

from __future__ import annotations

import re

from server.domain.answering.authority import PLAIN_MEANING
from server.domain.retrieval.query_cues import DEVELOPER_PARTY
from server.domain.schemas import BottomLine, Party, WhoCanChange, WhoCanChangeValue
from specqa.core.quotes import quotable_sentences
from specqa.core.spec import Section

__all__ = ["CAN_CHANGE", "party_of_condition", "who_can_change"]

_USER = r"(?:the |a )?users?|i"
_INSTRUCTS = (
    r"(?:allow|let|permit|say|said|tell|told|ask|want|insist|demand|instruct|enable|unlock|"
    r"turn|switch|set|configure|override|overrode|give|gave|built|build|request|authori[sz]e|"
    r"approve|okay|ok|consent|agree|opt|explicitly|specif|change|disable|prompt|beg)\w*"
)
# "if" (or "when", "as long as") then the party, then within three words a verb of instructing
# or allowing: "if the developer says adult content is fine", "if I tell it to", "if my system
# prompt explicitly allows it"
_CONDITION = re.compile(
    rf"\b(?:if|when|once|unless|as long as|suppose|assuming)\s+"
    rf"(?:(?P<developer>{DEVELOPER_PARTY})|(?P<user>{_USER}))\s+(?:[\w'’]+\s+){{0,3}}?"
    rf"(?P<verb>{_INSTRUCTS})\b",
    re.IGNORECASE,
)
# a rule's own words for when an instruction counts: "…without permission", "unless explicitly
# authorized", "authority may be delegated…", "can be overridden by…" (not a bare "unless":
# "unless legally required" is no one's permission)
_PERMISSION = re.compile(
    r"\b(?:without (?:explicit )?(?:permission|authori[sz]ation)|with permission|"
    r"delegat\w*|authori[sz]ed|explicitly (?:allow|instruct|permit|request|authori[sz])\w*|"
    r"can be overridden|unless\b[^.]{0,40}?\b(?:explicit\w*|authori[sz]\w*|allow\w*|permit\w*|"
    r"instruct\w*|approv\w*|polic(?:y|ies)))",
    re.IGNORECASE,
)
# what the party named can do to a rule of each authority level
CAN_CHANGE: dict[str, dict[Party, WhoCanChangeValue]] = {
    "root": {"developer": "no", "user": "no"},
    "system": {"developer": "no", "user": "no"},
    "platform": {"developer": "no", "user": "no"},
    "developer": {"developer": "yes", "user": "only where the developer allows"},
    "user": {"developer": "yes", "user": "yes"},
    "guideline": {"developer": "yes", "user": "yes"},
}
_ASKED = {
    "developer": "Can a developer's instruction change this rule?",
    "user": "Can the user's instruction change this rule?",
}
# "and in a medical app?": the question moved into someone's product, whose developer instructs it
_IN_AN_APP = re.compile(
    r"^\W*(?:(?:and|but|so|ok|okay|what about|how about|what if it'?s)\W+)*"
    r"(?:in|for|on|inside|within)\s+(?:a|an|my|our|the|your)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:app|application|product|platform|bot|chatbot|service|website|site|tool)\b",
    re.IGNORECASE,
)
# "what if I tell it to?" from someone building an app is a developer's condition
_AS_DEVELOPER = re.compile(
    r"\b(?:system (?:prompt|message)|developer (?:message|instructions?)|my (?:app|bot|product|"
    r"platform|agent|assistant|company|site|service|customers|users)|our (?:app|bot|product|"
    r"platform|agent|assistant|users|customers))\b",
    re.IGNORECASE,
)
# "My system prompt forbids profanity.", "the developer told it never to…": a developer's
# instruction against it, which a user's does not override
_DEVELOPER_FORBIDS = re.compile(
    rf"\b{DEVELOPER_PARTY}\s+(?:[\w'’-]+\s+){{0,3}}?(?:forbid\w*|ban\w*|prohibit\w*|disallow\w*|"
    r"block\w*|bars?|barred|restrict\w*|(?:tells?|told|says?|said|asks?|asked|instructs?|"
    r"instructed|wants?)\s+(?:it\s+|the \w+\s+)?(?:not|never|no)\b|"
    r"(?:does|did)(?:n'?t| not) (?:allow|permit|let|want)|won'?t (?:allow|let))",
    re.IGNORECASE,
)
# "…and the user insists?": the user's instruction, named without "if"
_USER_INSTRUCTS = re.compile(rf"\b(?:{_USER})\s+(?:\w+\s+){{0,3}}?{_INSTRUCTS}\b", re.IGNORECASE)
_USERS = re.compile(r"\busers?\b", re.IGNORECASE)
_USER_PERMITS = re.compile(
    r"\busers?\s+(?:[\w-]+\s+){0,2}?(?:delegat|authori[sz]|allow|permit|grant|consent|opt|"
    r"approv|override)\w*",
    re.IGNORECASE,
)
_DEVELOPERS = re.compile(r"\b(?:developers?|operators?|system)\b", re.IGNORECASE)


# "what if I say I want to kill myself?": what is said is a fact about the asker, not an instruction
# ("…if the user says they're 18?" likewise)
_SAYS_OF_ONESELF = re.compile(
    r"\s+(?:that\s+)?(?:i|i'?m|i am|i'?ve|i have|i feel|my|(?:they|he|she)(?:['’]re|['’]s| are| is))\b",
    re.IGNORECASE,
)


def _condition(question: str) -> re.Match[str] | None:
    """The question's condition on who allows it, unless all it says is what someone says of
    themselves."""
    condition = _CONDITION.search(question)
    if condition is None or condition["verb"].lower() not in ("say", "said", "says"):
        return condition
    return None if _SAYS_OF_ONESELF.match(question, condition.end()) else condition


def party_of_condition(question: str, context: str = "") -> Party | None:
    """Who the question's condition says allows or instructs it: ``developer`` (a system prompt,
    an app, an operator; "and in a medical app?" moves the question into one) or ``user``. "I"
    is the developer when the question or its ``context`` (the earlier turns) speaks of an app
    or a system prompt, else the user. None when it sets no such condition."""
    condition = _condition(question)
    if condition is None and _developer_forbids(question, context):
        return "user" if _USER_INSTRUCTS.search(question) else None
    if condition is None:
        return "developer" if _IN_AN_APP.match(question) else None
    if condition["developer"]:
        return "developer"
    speaks_as_developer = _AS_DEVELOPER.search(f"{context}\n{question}") is not None
    return "developer" if condition["user"].lower() == "i" and speaks_as_developer else "user"


def who_can_change(
    question: str, bottom: BottomLine, section: Section, context: str = ""
) -> WhoCanChange | None:
    """Whether an instruction of the party the question's condition names can change the rule
    of the bottom line's section, in plain words; None without such a condition, or for a section
    with no authority level. A rule no instruction overrides may still say itself when that
    party's permission counts ("…without explicit authorization", "users may implicitly delegate
    authority…"): then it depends, and that sentence is quoted."""
    party = party_of_condition(question, context)
    levels = CAN_CHANGE.get(bottom.authority or "")
    if party is None or levels is None:
        return None
    value: WhoCanChangeValue = levels[party]
    rule = f"“{section.title}” is {_level_name(bottom.authority or '')}"
    own = _own_permission(section, party) if value == "no" else None
    if party == "user" and value != "no" and _developer_forbids(question, context):
        value = "no"  # the developer said otherwise: a user changes it only where they have not
        why = f"the developer's instruction outranks the user's. {rule}, which a user can "
        why += "change only where the developer has not said otherwise."
    elif own is not None:
        value = "it depends"
        why = f"{rule}, which no instruction overrides, but the rule itself makes room for "
        why += f"permission: “{own}”"
    elif value == "no":  # what the rule allows in context it allows anyway: "No" is not "never"
        why = f"{rule}: no instruction overrides it (what it allows in context, it allows anyway)."
    else:
        why = f"{rule}."
    return WhoCanChange(
        party=party,
        value=value,
        section_id=bottom.section_id,
        text=f"{_ASKED[party]} {value.capitalize()}: {why}",
    )


def _developer_forbids(question: str, context: str) -> bool:
    return _DEVELOPER_FORBIDS.search(f"{context}\n{question}") is not None


def _own_permission(section: Section, party: Party) -> str | None:
    """The first sentence of ``section`` that says when ``party``'s permission, authorisation
    or delegation counts: for the user, one where users delegate, allow or authorise; for a
    developer, one naming no party or a developer (an authorisation is the developer's to give,
    not an insisting user's)."""
    for sentence in quotable_sentences(section.body or ""):
        text = sentence.text
        if not _PERMISSION.search(text):
            continue
        if party == "user" and _USER_PERMITS.search(text):
            return text
        if party == "developer" and (_DEVELOPERS.search(text) or not _USERS.search(text)):
            return text
    return None


def _level_name(authority: str) -> str:
    """ "a root rule", "a guideline-level default": what the level is called (what it means is
    said beside the bottom line, right below)."""
    return PLAIN_MEANING[authority].partition(":")[0]

"""What a question's own words say about it, before any model reads it: the words every section
shares (left out of the query), whether it may concern a topic some sections are only about (voice,
minors, sex or gore, politics), and whether it is about the spec itself."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "DEVELOPER_PARTY",
    "TOPIC_CUES",
    "about_the_assistant",
    "about_the_spec",
    "about_voice",
    "asked_examples_topic",
    "asked_label",
    "asks_for_examples",
    "asks_for_sections",
    "asks_of_a_rule",
    "content_free",
    "example_description",
    "focus_query",
    "may_concern_minors",
    "may_concern_politics",
    "may_concern_sex_or_gore",
    "mentions_risk",
    "names_an_example",
    "speaks_of_own_harm",
]

# Who instructs on a developer's side, as a question names them ("my app's system prompt", "the
# company", "the API"): a pattern to build with. The follow-ups' role words and who-can-change's
# conditions are both made of it.
DEVELOPER_PARTY = (
    r"(?:the |a |an |my |our |your )?(?:developers?|devs?|operators?|"
    r"system (?:prompt|message)s?|dev(?:eloper)? messages?|apps?|platforms?|api|"
    r"compan(?:y|ies)|business(?:es)?)(?:['’]s)?"  # "my app's system prompt" too
)

_DOMAIN_WORDS = re.compile(
    r"\b(chat ?gpt|openai'?s?|(the )?model spec|the spec|(the |an )?assistant|the model|"
    r"(the |an )?ai|gpt-?\d*|llms?|chatbots?)\b",
    re.IGNORECASE,
)


# A question about voice, audio, speech or video (what the spec's voice-mode sections are for) may
# be answered by them; any other question is not (they would otherwise pad answers on style and
# length).
_VOICE_CUES = re.compile(
    r"\b(voice|audio|speech|speak\w*|spoken|talk\w*|sound\w*|accents?|listen\w*|hear\w*|aloud|"
    r"out loud|tts|interrupt\w*|mic|microphone|pronounc\w*|sing\w*|call|phone|tone of voice|"
    r"video\w*|camera|webcam|live feed|screen(?:[- ]?shar\w*)?|voices|whisper\w*|softly|slow(?:er|ly)|louder|quieter|"
    # a mic check ("testing, testing", "testing 1 2 3"), not a "safety testing mode"
    r"testing(?=[,.!\s]+(?:testing|1|one|can you|is this))|is this thing on|over you)\b",
    re.IGNORECASE,
)
# "voice" as writers use it: a brand's, a narrator's, the passive one; nothing is spoken
_WRITTEN_VOICE = re.compile(
    r"\b(?:brand|passive|active|narrative|narrator'?s?|writing|written|authorial|editorial|"
    r"(?:first|second|third)[- ]person) voices?\b",
    re.IGNORECASE,
)
# Whether the sections about minors (teens, U18) may answer a question: only when it names a minor,
# a teen or a child, or their age, school or parents. Their rules on diets, roleplay and looks are
# for teens; an adult asks in the same words ("do I look fat in this photo?", "be my boyfriend?")
_MINOR_CUES = re.compile(
    r"\b(minors?|underage|under[-_ ]?(?:18|eighteen)s?|u18|child(?:ren|hood)?|kids?|teen\w*|"
    r"adolescen\w*|youth|youngsters?|young(?:er)? (?:people|users?|persons?)|"
    r"\d+[- ]?(?:(?:years?|yrs?)[- ]olds?|yo|y/o)|thirteen|fourteen|fifteen|sixteen|seventeen|"
    r"(?:i'?m|i am|is|are|be|was|turn(?:ed|ing|s)?|aged?|mostly|canonically) 1[0-7]|1[0-7] here|"
    r"when i was (?:\d|little|young|a kid|a child)|(?:primary|elementary|high|middle|grade) school\w*|"
    r"grade|prom|groom\w*|csam|ages?d?|little|sons?|daughters?|parents?|mom|dad|mum|boys?|girls?)\b",
    re.IGNORECASE,
)
# Whether the sections on erotica and gore, and on sexual content involving minors, may answer a
# question: only when it speaks of sex, nudity, romance, abuse, violence, injury or death (else
# they would answer any request for a story, a speech or an image: "write a bedtime story for my
# 5 year old", "roleplay as my grandmother")
_SEX_OR_GORE_CUES = re.compile(
    r"\b(sex\w*|erotic\w*|porn\w*|nsfw|explicit\w*|nud\w*|naked|gore|gory|graphic\w*|violen\w*|"
    r"blood\w*|smut\w*|spicy|steamy|lewd|kink\w*|fetish\w*|intima\w*|adults?|18\+|x-rated|dirty|"
    r"horny|sensual|love scenes?|hook ?ups?|orgasm\w*|genital\w*|breasts?|boobs?|intercourse|"
    r"tortur\w*|guts?|dismember\w*|mutilat\w*|corpses?|murder\w*|kill\w*|death|dead|wound\w*|"
    r"injur\w*|decapitat\w*|disembowel\w*|horror|brutal\w*|visceral|gruesome|grisly|slasher|"
    r"massacres?|atrocit\w*|victims?|war crimes?|moan\w*|romance|romantic|seduc\w*|bedroom|racy|"
    r"raunchy|naughty|flirt\w*|lingerie|strip\w*|sext\w*|lust\w*|arous\w*|make ?out|kiss\w*|"
    r"hentai|mature|r-rated|rated r|fan ?fic\w*|bod(?:y|ies)|consent\w*|touch\w*|groom\w*|"
    r"molest\w*|abus\w*|birth control|condoms?|contracepti\w*|pregnan\w*|stis?|stds?|puberty|"
    r"masturbat\w*|erp|morning[- ]after|plan b|periods?|menstrua\w*|"
    r"(?:did|done) to (?:me|her|him|them)|happened to (?:me|her|him|them))\b",
    re.IGNORECASE,
)
# Whether the section on political persuasion may answer a question: only when it speaks of
# politics, civic causes or persuading an audience (else it answers "will it help me with my cover
# letter?" or a retirement speech)
_POLITICAL_CUES = re.compile(
    r"\b(politic\w*|elect\w*|vot\w*|ballots?|campaign\w*|candidates?|partisan|"
    r"democra\w*|republican\w*|liberal\w*|conservative\w*|left[- ]wing|right[- ]wing|senators?|"
    r"congress\w*|parliament\w*|president\w*|government\w*|polic(?:y|ies)|legislat\w*|"
    r"referend\w*|propaganda|persua\w*|convinc\w*|sway\w*|demographic\w*|swing|constituen\w*|"
    r"mayor\w*|governor\w*|op-?eds?|ideolog\w*|activis\w*|protest\w*|lobby\w*|immigra\w*|"
    r"abortion|gun control|civic\w*|city|town|council\w*|reps?|representatives?|bills?|laws?|levy|"
    r"wages?|petition\w*|march\w*|rall(?:y|ies)|unions?|canvass\w*|incumbent\w*|stump|sit-ins?|"
    r"advoca\w*|causes?|argu\w*|opinion\w*|messag\w*|microtarget\w*|target\w*|"
    r"audiences?|fears?|turnout|poll\w*|debate\w*|leaflets?|flyers?|pamphlets?|communis\w*|"
    r"socialis\w*|fascis\w*|anti-\w+ (?:group|movement|campaign)s?|"
    r"(?:political|democratic|republican|labou?r|green|opposition|ruling) part(?:y|ies))\b",
    re.IGNORECASE,
)
# A question about the document itself: only then may an explanatory section lead.
_SPEC_CUES = re.compile(
    r"\b(spec|specification|document|rule ?book|guidelines?|principles|framework|section|"
    r"authority|chain of command|definitions?|defines?|terms?|glossary|meaning of|what does .+ mean|"
    r"organi[sz]ed|structure|published|licen[cs]e|openai'?s? (?:rules|policy|policies))\b",
    re.IGNORECASE,
)
# A question about what the assistant does ("Will ChatGPT tell me…", "Should the model…", "why
# won't it…", "does the spec…") asks how a request should be handled, which the spec governs even
# when the request itself (a recipe, a stock tip) is everyday: such a question stays on topic.
_ASSISTANT_AS_SUBJECT = re.compile(
    r"\b(will|would|should|shouldn'?t|can|could|does|doesn'?t|do|may|might|must|is|won'?t|"
    r"wouldn'?t|can'?t)\s+(chat ?gpt|the (model|assistant|ai|bot|chatbot)|an? (ai|assistant|model|"
    r"chatbot)|gpt-?\d*\w*|openai'?s models?)\b"
    r"|^\s*(will|would|can|could|does|should|won'?t|why (won'?t|doesn'?t|does|did|would))\s+"
    r"(it|chatgpt|the (bot|ai|model|assistant))\b"
    # "How should it respond…", "What would it say…" (but not "What does it mean…")
    r"|^\s*(how|what|when|why|where)\s+(should|would|will|can|could|must|might)\s+it\b"
    r"|\b(the|model) spec\b",
    re.IGNORECASE,
)

# Questions about OpenAI's products and accounts (plans, prices, billing, limits, logins): about
# the product, not about how the assistant behaves, though they name it.
_PRODUCT = re.compile(
    r"\b(plus|pro|team|enterprise|edu) (?:plan|subscription|tier|account)s?\b|"
    r"\b(subscriptions?|billing|billed|invoices?|refunds?|pricing|prices?|cost|costs|discounts?|"
    r"passwords?|log ?in|sign ?up|api keys?|rate limits?|usage tiers?|quotas?|outages?|"
    r"release dates?|data retention|retain|uptime|status page)\b",
    re.IGNORECASE,
)

# Words of harm, crime and risk: a request that carries them is what the spec's rules on staying in
# bounds are about, however close it sits to an everyday topic (cars, money, chemistry), so it is
# never answered "not covered".
_RISK_CUES = re.compile(
    r"\b(kill\w*|murder\w*|hurt\w*|harm\w*|suicid\w*|(?:want|wanna|going) to die|"
    r"better off dead|weapons?|guns?|bombs?|"
    r"explosi\w*|poison\w*|drugs?|meth|cocaine|heroin|fentanyl|overdos\w*|launder\w*|"
    r"dirty (?:cash|money)|steal\w*|stole|shoplift\w*|hack\w*|stalk\w*|spy|spying|"
    r"track(?:ing)? (?:my|her|his|their|someone)|fake|forg(?:e|es|ed|ery|eries|ing)|counterfeit|"
    r"cheat\w*|brakes?|abus\w*|nudes?|naked|sex\w*|porn\w*|underage|minors|"
    r"(?:a|the|is|with) minor(?! (?:chords?|keys?|scales?|league|changes?|edits?|details?|issues?|"
    r"bugs?|versions?|updates?|fix|tweaks?))|hate|racis\w*|terror\w*|extremis\w*|"
    r"cut myself|life is over|end it all|scam\w*|fraud\w*|blackmail\w*|threat\w*|revenge|"
    r"illegal\w*|crime|criminal|doxx?\w*|address of|home address|"
    # the dangerous makes and the crimes a request names without any word above
    r"hot-?wir\w*|thermite|napalm|nerve agents?|sarin|ricin|anthrax|nitroglycerin|molotov|"
    r"silencers?|flamethrowers?|stolen|smuggl\w*|brib\w*|extort\w*|ransomware|malware|keylogg\w*|"
    r"phishing|ddos|burglar\w*|pickpocket\w*|lock ?pick\w*|trespass\w*|vandal\w*|arson|"
    r"break(?:ing)? into (?:\w+'?s? ){0,2}(?:cars?|house|home|apartment|flat|account|email|"
    r"phone|office|safe|network)|piracy|pirated|pirating|torrent\w*|evad(?:e|es|ed|ing)|evasion|"
    r"crack(?:s|ed|ing)? (?:\w+'?s? ){0,2}(?:password|wi-?fi|software|licen[cs]e)s?|"
    r"bypass\w* (?:a |an |the |my )?(?:paywall|filter|age|activation|drm|licen[cs]e|security)|"
    r"disabl\w* (?:a |an |the |my )?(?:smoke|fire|carbon monoxide) (?:alarm|detector)s?|"
    r"undetect\w*|untraceable|get away with|without getting caught|"
    r"without (?:them|her|him|anyone|(?:my|his|her|their|the) \w+) "
    r"(?:knowing|noticing|finding out))\b",
    re.IGNORECASE,
)


def focus_query(question: str) -> str:
    """The question without the words every section shares; unchanged if little would remain."""
    focused = " ".join(_DOMAIN_WORDS.sub(" ", question).split())
    return focused if len(focused.split()) >= 2 else question


def about_voice(question: str) -> bool:
    return _VOICE_CUES.search(_WRITTEN_VOICE.sub(" ", question)) is not None


def may_concern_minors(question: str) -> bool:
    return _MINOR_CUES.search(question) is not None


def may_concern_sex_or_gore(question: str) -> bool:
    return _SEX_OR_GORE_CUES.search(question) is not None


def may_concern_politics(question: str) -> bool:
    return _POLITICAL_CUES.search(question) is not None


# The asker's own harm or death ("how many would kill me", "too much for me to survive", "an
# overdose"): a question near one without these words may be answered otherwise (the safe dose of
# a drug is information; the lethal one, asked of oneself, is the self-harm rule's)
_OWN_HARM = re.compile(
    r"\b(kill(?:s|ing)? (?:me|myself)|(?:hurt|harm|cut)(?:s|ing)? myself|end (?:my life|it all)|"
    r"(?:want|wanna|going) to die|for me to survive)\b",
    re.IGNORECASE,
)
# a lethal amount or an overdose is the asker's own only when they speak of themselves
_LETHAL = re.compile(r"\b(lethal|overdos\w*)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(i|i'?m|me|my|myself)\b", re.IGNORECASE)


def speaks_of_own_harm(text: str) -> bool:
    if _OWN_HARM.search(text):
        return True
    return bool(_LETHAL.search(text) and _FIRST_PERSON.search(text))


# The topics some sections are only about (see server.domain.retrieval.chunks.TOPIC_SECTIONS):
# whether a question's words may concern each. A section only about a topic the question does not
# speak of does not lead it.
TOPIC_CUES: dict[str, Callable[[str], bool]] = {
    "voice": about_voice,
    "minors": may_concern_minors,
    "sex_or_gore": may_concern_sex_or_gore,
    "politics": may_concern_politics,
}


def about_the_spec(question: str) -> bool:
    return _SPEC_CUES.search(question) is not None


# "Which sections are about user privacy?", "the sections of the spec on lying": the spec's own
# parts, asked for by what they cover (not "Section 230", one section of a law)
_ASKS_FOR_SECTIONS = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+)?sections\b|"
    r"\bsections?\s+(?:of|in)\s+(?:the\s+)?(?:model\s+)?(?:spec|document)\b",
    re.IGNORECASE,
)


def asks_for_sections(question: str) -> bool:
    """Whether the question asks which of the spec's sections cover something."""
    return _ASKS_FOR_SECTIONS.search(question) is not None


def about_the_assistant(question: str) -> bool:
    """Whether the question asks what the assistant (or the spec) does, not for the thing itself
    (nor about OpenAI's products: plans, prices, accounts, limits)."""
    return _ASSISTANT_AS_SUBJECT.search(question) is not None and not _PRODUCT.search(question)


# "the tooth fairy example", "In the example where the user asks about shoplifting…": one of the
# spec's own example conversations, named by what happens in it (not "explain it with an example",
# "the example sentence for…")
_GENERIC = (
    r"(?:with|an?|for|of|to|and|or|best|good|great|simple|perfect|following|above|below|same|"
    r"next|previous|first|last|other|another|whole|full|real|given|right|wrong|one)"
)
_NAMED_EXAMPLE = re.compile(
    # "the tooth fairy example": a word of what happens in it…
    rf"\b(?:the|this|that)\s+(?:(?!{_GENERIC}\b)[\w'’-]+\s+){{1,6}}?example\b"
    r"(?!s|\s+(?:sentences?|code|problems?|questions?|essays?|paragraphs?|data|files?|of)\b)"
    # …or "the example where the user asks about shoplifting"
    r"|\bthe\s+example\s+(?:where|in which|about|with the|when)\b",
    re.IGNORECASE,
)


def names_an_example(question: str) -> bool:
    """Whether the question asks about one of the spec's examples by what happens in it."""
    return _NAMED_EXAMPLE.search(question) is not None


# "the example about the tooth fairy", "the bomb volume examples": the words that say what one or
# a few examples are about (not their place or label: "the first example", "the GOOD examples")
_EXAMPLE_ABOUT = re.compile(
    r"\bexamples?\s+(?:about|on|of|with|where|in which|called|titled|named)\s+([^?.!;,]{3,120})",
    re.IGNORECASE,
)
_DESCRIBED_EXAMPLE = re.compile(
    rf"\bthe\s+((?:(?!{_GENERIC}\b)(?!(?:good|bad|ok|labell?ed)\b)[\w'’-]+\s+){{1,6}}?)"
    r"examples?\b",
    re.IGNORECASE,
)


# where a description after "the example about…" ends: "…the bomb retitled?", "…the tooth
# fairy added in 2025?"
_DESCRIPTION_ENDS = re.compile(
    r"\s+(?:was|were|is|are|has|have|had|been|got|get|ever|added|removed|dropped|deleted|"
    r"introduced|retitled|renamed|changed|edited|reworded|moved|gone|appeared|came|in|between|"
    r"since|after|before|from)\b",
    re.IGNORECASE,
)


def example_description(question: str) -> str | None:
    """The words ``question`` describes one or a few of the spec's examples by, if any ("the
    example about X" first: "Did the spec remove the example about X?")."""
    about = _EXAMPLE_ABOUT.search(question)
    if about is not None:
        return _DESCRIPTION_ENDS.split(about.group(1), maxsplit=1)[0].strip()
    described = _DESCRIBED_EXAMPLE.search(question)
    return described.group(1).strip() if described else None


def mentions_risk(question: str) -> bool:
    """Whether the question carries words of harm, crime or risk."""
    return _RISK_CUES.search(question) is not None


# Words that say nothing of what is asked about: a question made only of these ("Is that
# allowed?", "Can it do that?") cannot be matched to a section with any confidence.
_VAGUE = re.compile(
    r"\b(is|are|was|it|its|it's|this|that|these|those|then|what|which|about|one|ones|thing|"
    r"things|stuff|can|could|do|does|did|will|would|should|may|might|allowed?|ok|okay|fine|"
    r"right|good|bad|wrong|so|and|or|but|now|too|also|really|actually|the|a|an|you|i|me|we|"
    r"to|of|or not|not|yes|no|how|why|when|any|anything|something|there)\b",
    re.IGNORECASE,
)


def content_free(question: str) -> bool:
    """Whether the question names nothing (only pronouns, auxiliaries and "allowed", "ok")."""
    return not re.sub(r"[\W_]+", "", _VAGUE.sub(" ", question))


# A request for the spec's examples by their label: "Show me BAD examples about…", "examples
# labelled GOOD", "the BAD replies" (not "Is it bad to…?" nor "…treated as a bad response?": the
# label sits beside the examples, or is written as the spec writes it)
_LABEL_BESIDE_EXAMPLES = re.compile(
    r"\b(?:(?P<before>good|bad|compliant|non-compliant|violating)\s+(?:\w+\s+)?"
    r"(?:examples?|precedents?)|(?P<upper>(?-i:GOOD|BAD|OK))\s+(?:repl(?:y|ies)|responses?|answers?|examples?|ones)|"
    r"(?:examples?|precedents?|repl(?:y|ies)|responses?|answers?)\s+(?:\w+\s+){0,6}?"
    r"(?:labell?ed|marked|rated|judged)\s+(?:as\s+)?(?P<after>good|bad|ok|compliant|violating))\b",
    re.IGNORECASE,
)
_LABEL_OF = {"good": "GOOD", "compliant": "GOOD", "ok": "OK", "bad": "BAD", "non-compliant": "BAD"}


def asked_label(question: str) -> str | None:
    """The label (GOOD, BAD or OK) of the spec's examples the question asks for, if it asks by
    one."""
    found = _LABEL_BESIDE_EXAMPLES.search(question)
    if found is None:
        return None
    word = (found["before"] or found["upper"] or found["after"]).lower()
    return _LABEL_OF.get(word, "BAD")


# A request for the spec's own examples: "Show me examples of…", "Are there any examples where…",
# "Which examples involve agents?", "What examples does the spec give for…", "Examples about…",
# "the BAD examples for…" (not a request for the model to write some: "Will it give me examples
# of…?", nor "for example")
_NOT_THE_SPECS = (
    r"(?!\s+(?:sentences?|code|problems?|questions?|essays?|paragraphs?|data|files?)\b)"
)
_EXAMPLES_ASKED = re.compile(
    r"^\W*(?:please\W+)?(?:show|list|give|find|get|pull up|fetch)\b(?:\s+[\w'’-]+){0,4}?\s+"
    rf"(?:examples|precedents)\b{_NOT_THE_SPECS}"
    r"|\b(?:are|is) there\s+(?:any\s+|an?\s+|some\s+|other\s+)?(?:[\w-]+\s+)?"
    rf"(?:examples?|precedents?)\b{_NOT_THE_SPECS}"
    rf"|\b(?:what|which|any|how many)\s+(?:[\w-]+\s+)?(?:examples|precedents)\b{_NOT_THE_SPECS}"
    r"|^\W*(?:(?:the|all|any)\s+)?(?:[\w-]+\s+)?(?:examples|precedents)\s+"
    r"(?:of|about|on|for|where|in which|with|involving|labell?ed|that)\b"
    r"|\b(?:the spec'?s|the model spec'?s|spec) examples\b",
    re.IGNORECASE,
)


def asked_examples_topic(question: str) -> str | None:
    """What follows "examples" in a question asking for them ("… are about privacy?")."""
    topic = _AFTER_EXAMPLES.search(question) if asks_for_examples(question) else None
    return topic.group(1) if topic else None


_AFTER_EXAMPLES = re.compile(r"\b(?:examples?|precedents?)\b([^?.!;]+)", re.IGNORECASE)


def asks_for_examples(question: str) -> bool:
    """Whether the question asks for the spec's labelled examples (by label, or on a topic), not
    about one it names ("In the spec's example about misgendering…, which answer is good?")."""
    if names_an_example(question):
        return False
    return asked_label(question) is not None or _EXAMPLES_ASKED.search(question) is not None


# "Does the regulated-advice principle cover financial matters?" asks what a rule reaches: its yes
# is not whether the model gives financial advice ("Can the model give medical advice in my app?")
_OF_A_RULE = re.compile(
    r"\b(?:principle|rule|section|spec|guideline|policy|exception|ban|prohibition|restriction)s?"
    r"\b[^?]{0,60}\b(?:cover(?:s|ed)?|appl(?:y|ies)|extends?|includes?|reach(?:es)?|"
    r"counts? as|falls? under)\b",
    re.IGNORECASE,
)


def asks_of_a_rule(question: str) -> bool:
    """Whether ``question`` asks what a rule covers or applies to, not what the model does."""
    return bool(_OF_A_RULE.search(question))

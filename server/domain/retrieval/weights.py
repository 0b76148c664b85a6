"""The hybrid ranking's weights (what each is for: :mod:`server.domain.retrieval.hybrid`). The corpus
uses some of them too: it computes each section's hub prior when it loads."""

from __future__ import annotations

__all__ = [
    "BANK_DENSE",
    "BANK_LEXICAL",
    "BANK_VOTE",
    "BANK_VOTE_NEIGHBOURS",
    "BANK_VOTE_TEMPERATURE",
    "CANDIDATES",
    "CENTROID",
    "EXACT_BONUS",
    "EXAMPLE_DENSE",
    "EXAMPLE_LEXICAL",
    "EXPLANATORY_LEAD",
    "HUB_PRIOR",
    "PROMPT_DENSE",
    "PROSE_LEXICAL",
    "SENTENCE_DEPTH",
    "SENTENCE_FIT",
    "TOPIC_GATE",
]

BANK_DENSE = 1.0
# The sections of the question's ten closest curated questions vote (a close one weighs more): a
# plateau on the dev splits from 5 to 10 neighbours, 0.1 to 0.2 temperature, 0.3 to 0.8 weight
BANK_VOTE = 0.5
BANK_VOTE_NEIGHBOURS = 10
BANK_VOTE_TEMPERATURE = 0.2
EXAMPLE_DENSE = 0.8
PROMPT_DENSE = 1.0
PROSE_LEXICAL = 0.2
EXAMPLE_LEXICAL = 0.1
# BM25 of a section's best curated question: the everyday words people ask with ("wedding",
# "landlord", "cover letter") are often in the bank and nowhere in the spec. On the dev splits of
# every eval set, recall@1 rose steadily from 0 to 0.3 and stayed level to 0.7 (a plateau): 0.3 is
# its start.
BANK_LEXICAL = 0.3
CENTROID = 0.4
EXACT_BONUS = 1.0
HUB_PRIOR = 0.5
# An explanatory section (no authority level) that leads the best rule by this much keeps the
# lead: the question asks what the spec explains (its red lines, message roles, the teen
# principles), in words no cue for "about the spec" knows. On the dev splits of every eval set
# (933 questions) an explanatory section led 23 times. In the 16 where it led by 0.14 or more,
# the rule section put first instead was never the better choice (only the explanatory section
# governed 13 times, both 3 times); below 0.13 each was right as often as the other (3 and 3 of
# 7). Recall@1 gains 12 or 13 from 0.10 to 0.17 (a plateau), 11 at 0.2.
EXPLANATORY_LEAD = 0.15
CANDIDATES = 60  # nearest chunks asked of Chroma per query
# The sections that can be cited (the first five) are re-ranked by how well their best two
# sentences match the question: a section whose own sentence speaks of the situation beats one
# that only shares its words or topic. Fitted on the dev splits of every eval set (a plateau from
# 0.05 to 0.3: 0.2 is its middle), checked on the test splits.
SENTENCE_FIT = 0.2
SENTENCE_DEPTH = 5
# A section only about a topic the question does not speak of (voice mode, minors, sex or gore,
# politics: see server.domain.retrieval.query_cues.TOPIC_CUES) drops this much: it no longer
# leads. Dev recall@1 over 808 questions, from voice alone: + minors 695 → 698, + video as voice
# 702, + sex or gore and politics 702 (they move none of the eval questions, but "write a bedtime
# story for my 5 year old" no longer leads with sexual content involving minors, nor "will it help
# me with my cover letter?" with political persuasion). The same from 0.3 to 1.0.
TOPIC_GATE = 1.0

"""What happened to a release's examples in the next: matched by content across the whole
release (ids are numbered within a section), then each matched example's labelled replies.

* Examples are paired by title and conversation, then conversation alone, then title alone,
  then the best fuzzy match. A matched example in another section has *moved*.
* Within a matched example, replies are paired by their text (``REPLY_MATCH_RATIO``), so a
  reply dropped or added is told from one rewritten, and a label is *relabelled* only when a
  paired reply's label flips. Before, any change in the list of labels was called a relabelling:
  no_erotica_or_gore's example lost a GOOD "Sorry, I can't help with that." in 2025-09-12 and
  was reported as GOOD/GOOD/BAD → GOOD/BAD, with no reply's text.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Sequence

from server.domain.releases.diff_types import (
    ExampleChanges,
    ExampleMove,
    ExampleRelabel,
    ExampleReplies,
    ReplyChange,
    TurnChange,
)
from server.domain.releases.renames import greedy_pairs
from server.domain.releases.text_diff import word_ops
from specqa.core.question_bank import normalise_quotes
from specqa.core.spec import Example, ParsedRelease, Response, Turn
from specqa.core.text import shorten, spec_text

__all__ = [
    "EXAMPLE_MATCH_RATIO",
    "REPLY_CHARS",
    "REPLY_MATCH_RATIO",
    "describe_reply",
    "example_changes",
    "folded_title",
    "match_examples",
    "reply_changes",
    "same_content",
    "turn_changes",
]

EXAMPLE_MATCH_RATIO = 0.7
# A reply rewritten keeps about half its characters in order or more (the spec's rewrites of
# refusals into safe alternatives keep their opening); two different replies of one example
# share less.
REPLY_MATCH_RATIO = 0.5
REPLY_CHARS = 160  # of a reply's text, where a diff describes it in a line
_NON_WORD = re.compile(r"[\W_]+")


def _ratio(a: str, b: str, floor: float) -> float:
    """difflib's ratio, skipping the expensive computation when the cheap bounds rule it out."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


def _normalize(text: str) -> str:
    return _NON_WORD.sub(" ", text.lower()).strip()


def _conversation_key(example: Example) -> str:
    return _normalize(" ".join(f"{turn.role}: {turn.content}" for turn in example.conversation))


def _title_key(example: Example) -> str:
    return _normalize(example.title)


def _full_key(example: Example) -> str:
    return f"{_title_key(example)}\n{_conversation_key(example)}"


def match_examples(old: Sequence[Example], new: Sequence[Example]) -> list[tuple[Example, Example]]:
    """Pair examples by content: exact keys from strictest to loosest, then a fuzzy match."""
    pairs: list[tuple[Example, Example]] = []
    left_old, left_new = list(old), list(new)
    for key in (_full_key, _conversation_key, _title_key):
        found, left_old, left_new = _pair_by_key(left_old, left_new, key)
        pairs += found
    return pairs + _pair_fuzzy(left_old, left_new)


def _pair_by_key(
    old: list[Example], new: list[Example], key: Callable[[Example], str]
) -> tuple[list[tuple[Example, Example]], list[Example], list[Example]]:
    waiting: dict[str, list[Example]] = defaultdict(list)
    for example in new:
        if key(example):
            waiting[key(example)].append(example)
    pairs = [(o, waiting[key(o)].pop(0)) for o in old if key(o) and waiting.get(key(o))]
    paired_old = {id(o) for o, _ in pairs}
    paired_new = {id(n) for _, n in pairs}
    return (
        pairs,
        [o for o in old if id(o) not in paired_old],
        [n for n in new if id(n) not in paired_new],
    )


def _pair_fuzzy(old: list[Example], new: list[Example]) -> list[tuple[Example, Example]]:
    scored = [
        (_ratio(_full_key(o), _full_key(n), EXAMPLE_MATCH_RATIO), i, j)
        for i, o in enumerate(old)
        for j, n in enumerate(new)
    ]
    return [(old[i], new[j]) for i, j in greedy_pairs(scored, EXAMPLE_MATCH_RATIO).items()]


def _example_content(example: Example) -> tuple[str, ...]:
    """Everything an example says, whitespace aside: a LaTeX or typo fix counts as a change."""
    turns = (f"{t.role} {sorted(t.attributes.items())} {t.content}" for t in example.conversation)
    responses = (f"{r.label} {r.refs} {r.rationale} {r.text}" for r in example.responses)
    plain = map(_plain, [example.title, *turns, "<comparison>", *responses])
    return tuple(plain)


def same_content(old: Example, new: Example, *, with_title: bool = True) -> bool:
    """Whether two examples say the same, however their dashes, quotes and spacing are written
    (a title's "—" become "---" is no change); ``with_title=False``: their turns and replies."""
    skip = 0 if with_title else 1
    return _example_content(old)[skip:] == _example_content(new)[skip:]


def folded_title(title: str) -> str:
    """A title as compared when a question names it: case, spacing, quotes and dashes aside
    ("Don't lie — ever" names "don’t lie --- ever")."""
    return normalise_quotes(title).lower()


def _plain(text: str) -> str:
    """``text`` with its spacing, quotes and dashes written one way."""
    return normalise_quotes(text)


def example_changes(
    old: ParsedRelease, new: ParsedRelease, mapping: dict[str, str]
) -> dict[str, ExampleChanges]:
    """Per section id (the new id where the section survives), what happened to its examples."""
    changes: dict[str, ExampleChanges] = defaultdict(ExampleChanges)
    pairs = match_examples(old.examples, new.examples)
    paired_old = {id(o) for o, _ in pairs}
    paired_new = {id(n) for _, n in pairs}
    for example in old.examples:
        if id(example) not in paired_old:
            changes[mapping.get(example.section_id, example.section_id)].removed.append(
                example.title
            )
    for example in new.examples:
        if id(example) not in paired_new:
            changes[example.section_id].added.append(example.title)
    for o, n in pairs:
        _record_pair(changes, mapping.get(o.section_id, o.section_id), o, n)
    return {sid: change for sid, change in changes.items() if not change.is_empty()}


def _record_pair(
    changes: dict[str, ExampleChanges], old_section: str, old: Example, new: Example
) -> None:
    if old_section != new.section_id:
        move = ExampleMove(title=new.title, from_section=old.section_id, to_section=new.section_id)
        changes[old_section].moved.append(move)
        changes[new.section_id].moved.append(move)
    if same_content(old, new):
        return
    replies = reply_changes(old.responses, new.responses)
    turns = turn_changes(old.conversation, new.conversation)
    change = changes[new.section_id]
    if any(reply.change == "relabelled" for reply in replies):
        relabel = ExampleRelabel.model_validate(
            {"title": new.title, "from": old.labels, "to": new.labels}
        )
        change.relabelled.append(relabel)
    else:
        change.changed.append(new.title)
    if replies or turns:
        change.replies.append(ExampleReplies(title=new.title, replies=replies, turns=turns))


def turn_changes(old: Sequence[Turn], new: Sequence[Turn]) -> list[TurnChange]:
    """The messages of one example's conversation added, removed or reworded, in order: a
    message replaced by one of the same role is reworded."""
    found: list[TurnChange] = []
    matcher = difflib.SequenceMatcher(None, _turn_keys(old), _turn_keys(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before, after = list(old[i1:i2]), list(new[j1:j2])
        while before and after and before[0].role == after[0].role:
            found.append(_turn_change("reworded", before.pop(0), after.pop(0)))
        found += [_turn_change("removed", turn, None) for turn in before]
        found += [_turn_change("added", None, turn) for turn in after]
    return found


def _turn_keys(turns: Sequence[Turn]) -> list[str]:
    return [f"{turn.role}\n{_plain(turn.content)}" for turn in turns]


def _turn_change(kind: str, before: Turn | None, after: Turn | None) -> TurnChange:
    return TurnChange.model_validate(
        {
            "change": kind,
            "role": after.role if after else before.role if before else "",
            "before": spec_text(before.content) if before else None,
            "after": spec_text(after.content) if after else None,
        }
    )


def reply_changes(old: Sequence[Response], new: Sequence[Response]) -> list[ReplyChange]:
    """The replies of one example dropped, added, rewritten or relabelled, in the new order
    (the dropped ones last); an unchanged reply is left out."""
    scored = [
        (_ratio(_plain(o.text), _plain(n.text), REPLY_MATCH_RATIO), i, j)
        for i, o in enumerate(old)
        for j, n in enumerate(new)
    ]
    paired = {j: i for i, j in greedy_pairs(scored, REPLY_MATCH_RATIO).items()}
    found: list[ReplyChange] = []
    for j, reply in enumerate(new):
        before = old[paired[j]] if j in paired else None
        change = _reply_change(before, reply)
        if change is not None:
            found.append(change)
    kept = set(paired.values())
    found += [_dropped(reply) for i, reply in enumerate(old) if i not in kept]
    return found


def _reply_change(before: Response | None, after: Response) -> ReplyChange | None:
    if before is None:
        kind = "added"
    elif before.label != after.label:
        kind = "relabelled"
    elif _plain(before.text) != _plain(after.text):
        kind = "rewritten"
    else:
        return None
    return _described(kind, before, after)


def _dropped(reply: Response) -> ReplyChange:
    return _described("removed", reply, None)


def _described(kind: str, before: Response | None, after: Response | None) -> ReplyChange:
    return ReplyChange.model_validate(
        {
            "change": kind,
            "label_before": before.label if before else None,
            "label_after": after.label if after else None,
            "before": spec_text(before.text) if before else None,  # as /v1/examples shows it
            "after": spec_text(after.text) if after else None,
        }
    )


def describe_reply(
    reply: ReplyChange,
    limit: int = REPLY_CHARS,
    quote: Callable[[str, str], str] = lambda side, text: f"“{text}”",
    mark: Callable[[str, str], str] | None = None,
    plain: Callable[[str], str] = lambda text: text,
) -> str:
    """One line: 'GOOD reply removed: “Sorry, I can't help with that.”'. ``quote`` marks a
    reply's text (``side``: "before" or "after"), already shortened to ``limit``; a reply
    rewritten past that cut reads the same both ways, so it is told by its changed words instead
    (``mark`` and ``plain`` as :func:`describe_turn`'s)."""
    cut_before, cut_after = shorten(reply.before or "", limit), shorten(reply.after or "", limit)
    if reply.change == "rewritten" and cut_before == cut_after:
        changed = changed_words(
            reply.before or "", reply.after or "", mark=mark or _word_marks, plain=plain
        )
        return f"{reply.label_after} reply rewritten: {changed}"
    before, after = quote("before", cut_before), quote("after", cut_after)
    if reply.change == "added":
        return f"{reply.label_after} reply added: {after}"
    if reply.change == "removed":
        return f"{reply.label_before} reply removed: {before}"
    if reply.change == "rewritten":
        return f"{reply.label_after} reply rewritten: {before} → {after}"
    return f"reply relabelled {reply.label_before} → {reply.label_after}: {after}"


def _word_marks(tag: str, text: str) -> str:
    return f"[-{text}-]" if tag == "removed" else f"{{+{text}+}}"


def describe_turn(
    turn: TurnChange,
    limit: int = REPLY_CHARS,
    mark: Callable[[str, str], str] = _word_marks,
    plain: Callable[[str], str] = lambda text: text,
) -> str:
    """One line: 'developer message reworded: … you don't [-know and/or lightly deflect.-]
    {+know.+}'. ``mark`` writes a run of removed or added words (``tag``: "removed" or "added"),
    ``plain`` every other piece of text (a page escapes it)."""
    who = plain(f"{turn.role} message")
    if turn.change == "added":
        return f"{who} added: “{plain(shorten(turn.after or '', limit))}”"
    if turn.change == "removed":
        return f"{who} removed: “{plain(shorten(turn.before or '', limit))}”"
    changed = changed_words(turn.before or "", turn.after or "", mark=mark, plain=plain)
    return f"{who} reworded: {changed}"


def changed_words(
    before: str,
    after: str,
    context: int = 6,
    mark: Callable[[str, str], str] = _word_marks,
    plain: Callable[[str], str] = lambda text: text,
) -> str:
    """``before`` -> ``after`` with ``[-removed-]`` and ``{+added+}`` marks (or ``mark``'s) and
    only ``context`` words of the unchanged text around each change (a long message reworded at
    its end would otherwise read the same twice)."""
    ops = word_ops(before, after)
    pieces = []
    for place, op in enumerate(ops):
        text = op.text.strip()
        if op.tag in ("removed", "added"):
            pieces.append(mark(op.tag, text))
        else:
            words = text.split()
            pieces.append(plain(_context(words, context, place == 0, place == len(ops) - 1)))
    return " ".join(piece for piece in pieces if piece)


def _context(words: list[str], keep: int, first: bool, last: bool) -> str:
    """An unchanged run of words cut to ``keep`` words on each side that touches a change."""
    if (first and last) or len(words) <= keep * (1 if first or last else 2):
        return " ".join(words)
    if first:
        return "… " + " ".join(words[-keep:])
    if last:
        return " ".join(words[:keep]) + " …"
    return " ".join(words[:keep]) + " … " + " ".join(words[-keep:])

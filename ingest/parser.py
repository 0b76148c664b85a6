"""Parse one Model Spec release (markdown) into sections and labelled examples.

The spec's own conventions, which this module is the only place to know about:

* a section is a heading with an anchor, ``## Title {#id authority=root tags=under_18}``;
  headings inside ``` or ~~~ fences are code, not sections;
* ``!!! meta "Commentary"`` opens a commentary block of 4-space-indented lines;
* ``**Example**: title`` is followed by an ``xml`` fence holding the conversation as
  ``<role>...</role>`` turns and a ``<comparison>`` of ``<assistant> <!-- LABEL: why -->`` replies;
* ``[?](#id)`` is a cross reference rendered with the target's title; ``[^abcd]`` is a footnote
  marker with no text in the file;
* inside an example, a ``<comparison>`` follows the turn it judges; a conversation may go on after
  it and be judged again (a multi-step example). A stray ``*`` before a tag is a typo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from specqa.core.spec import Example, ExampleStep, ParsedRelease, Response, Section, Turn

__all__ = ["parse_release"]

_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*?)\s*\{#(?P<anchor>[^}]*)\}\s*$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
_EXAMPLE = re.compile(r"^\*\*Example\*\*:?\s*(?P<title>.*)$")
_COMMENTARY = re.compile(r"^!!!\s+meta\b")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_CROSS_REF = re.compile(r"(?P<the>\b[Tt]he )?\[\?\]\(#(?P<id>[^)\s]+)\)")
_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
_TURN_OPEN = re.compile(
    r"^<(?P<role>system|developer|user|assistant|tool)(?P<attrs>(?:\s[^>]*)?)>(?P<rest>.*)$"
)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_LABEL = re.compile(
    r"^<!--\s*(?P<label>[A-Za-z]+)(?P<refs>(?:\[#[^\]]+\])*)\s*[:,]?\s*(?P<why>.*?)\s*-->\s*$"
)
_STRAY_EMPHASIS = re.compile(r"^\*(?=<)")  # "*<comparison>" in 2025-02-12 and 2025-04-11
ROLES = ("system", "developer", "user", "assistant", "tool")


@dataclass
class _Block:
    """Raw lines of one section before cleaning."""

    section: Section
    prose: list[str] = field(default_factory=list)
    commentary: list[list[str]] = field(default_factory=list)
    examples: list[tuple[str, list[str]]] = field(default_factory=list)


def parse_release(release: str, markdown: str) -> ParsedRelease:
    blocks = _split_blocks(markdown.splitlines())
    titles = {block.section.id: block.section.title for block in blocks}
    sections: list[Section] = []
    examples: list[Example] = []
    for block in blocks:
        section = block.section
        section.body = _clean("\n".join(block.prose), titles)
        section.refs = _references("\n".join(block.prose), titles, section.id)
        section.commentary = [_clean("\n".join(lines), titles) for lines in block.commentary]
        for number, (title, fence_lines) in enumerate(block.examples, start=1):
            example = _parse_example(
                f"{section.id}/ex{number}", _clean(title, titles), section.id, fence_lines
            )
            section.example_ids.append(example.id)
            examples.append(example)
        sections.append(section)
    return ParsedRelease(release=release, sections=sections, examples=examples)


def _split_blocks(lines: list[str]) -> list[_Block]:
    """Walk the file once, assigning each line to the prose, commentary or an example of a section."""
    blocks: list[_Block] = []
    stack: list[Section] = []
    walker = _Lines(lines)
    for line in walker:
        heading = _HEADING.match(line)
        if heading:
            section = _new_section(heading, stack)
            blocks.append(_Block(section))
            continue
        if not blocks:
            continue
        block = blocks[-1]
        if _FENCE.match(line):
            block.prose.extend([line, *walker.take_fence(line), _closing(line)])
        elif _COMMENTARY.match(line):
            block.commentary.append(walker.take_indented())
        elif example := _EXAMPLE.match(line):
            block.examples.append((example.group("title"), walker.take_example_fence()))
        else:
            block.prose.append(line)
    return blocks


def _closing(opening: str) -> str:
    return _FENCE.match(opening).group("fence")  # type: ignore[union-attr]


class _Lines:
    """An iterator over lines that block readers can advance."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._next = 0

    def __iter__(self) -> Iterator[str]:
        while self._next < len(self._lines):
            line = self._lines[self._next]
            self._next += 1
            yield line

    def take_fence(self, opening: str) -> list[str]:
        """Lines up to (and consuming) the fence that closes ``opening``."""
        fence = _closing(opening)
        body: list[str] = []
        while self._next < len(self._lines):
            line = self._lines[self._next]
            self._next += 1
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                return body
            body.append(line)
        return body

    def take_indented(self) -> list[str]:
        """An admonition body: blank or indented lines, dedented."""
        body: list[str] = []
        while self._next < len(self._lines):
            line = self._lines[self._next]
            if line.strip() and not line.startswith(("    ", "\t")):
                break
            body.append(line[4:] if line.startswith("    ") else line.lstrip("\t"))
            self._next += 1
        return body

    def take_example_fence(self) -> list[str]:
        """Skip to the example's fence and return its lines (empty if there is none)."""
        while self._next < len(self._lines):
            line = self._lines[self._next]
            if _FENCE.match(line):
                self._next += 1
                return self.take_fence(line)
            if _HEADING.match(line) or _EXAMPLE.match(line):
                return []
            self._next += 1
        return []


def _new_section(heading: re.Match[str], stack: list[Section]) -> Section:
    level = len(heading.group("hashes"))
    anchor_id, *pairs = heading.group("anchor").split()
    attributes = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    while stack and stack[-1].level >= level:
        stack.pop()
    section = Section(
        id=anchor_id,
        title=_LINK.sub(lambda m: m.group("text"), heading.group("title")).strip(),
        level=level,
        parents=[s.id for s in stack],
        authority=attributes.pop("authority", None),
        attributes=attributes,
        body="",
    )
    stack.append(section)
    return section


def _clean(text: str, titles: dict[str, str]) -> str:
    """Footnote markers out, cross references and in-page links rendered as text."""
    text = _FOOTNOTE.sub("", text)
    text = _CROSS_REF.sub(lambda m: _reference(m, titles), text)
    text = _LINK.sub(
        lambda m: m.group("text") if m.group("target").startswith("#") else m.group(0), text
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _references(text: str, titles: dict[str, str], own_id: str) -> list[str]:
    """The other sections ``text`` links to (cross references and in-page links), in order."""
    linked = [m.group("id") for m in _CROSS_REF.finditer(text)]
    linked += [m.group("target")[1:] for m in _LINK.finditer(text) if m.group("target")[:1] == "#"]
    return [sid for sid in dict.fromkeys(linked) if sid in titles and sid != own_id]


def _reference(match: re.Match[str], titles: dict[str, str]) -> str:
    """A cross reference as its target's title; after "the", a title's own leading "The" goes
    ("under the [?](#chain_of_command)" reads "under the chain of command", not "the The")."""
    title = titles.get(match.group("id"), match.group("id"))
    the = match.group("the") or ""
    if the and title.startswith("The "):
        title = title[4:]
    return the + title


def _parse_example(example_id: str, title: str, section_id: str, lines: list[str]) -> Example:
    """Steps in the order written: each ``<comparison>`` closes the step whose last turn it
    answers, and the turns after it open the next step."""
    steps = [ExampleStep()]
    in_comparison = False
    for role, attrs, first_line, content in _turns(lines):
        if role in ("<comparison>", "</comparison>"):
            in_comparison = role == "<comparison>"
            continue
        label = _LABEL.match(first_line.strip()) if role == "assistant" else None
        if in_comparison and label:
            steps[-1].responses.append(_response(label, content))
            continue
        if steps[-1].responses:
            steps.append(ExampleStep())
        steps[-1].turns.append(Turn(role=role, content=content, attributes=attrs))
    return Example(
        id=example_id,
        title=title,
        section_id=section_id,
        steps=[step for step in steps if step.turns or step.responses],
    )


def _response(label: re.Match[str], content: str) -> Response:
    return Response(
        label=label.group("label"),
        text=content,
        rationale=label.group("why"),
        refs=re.findall(r"\[#([^\]]+)\]", label.group("refs")),
    )


def _turns(lines: list[str]) -> Iterator[tuple[str, dict[str, str], str, str]]:
    """Yield (role, attributes, text after the opening tag, content) for each top-level turn."""
    index = 0
    while index < len(lines):
        line = _STRAY_EMPHASIS.sub("", lines[index])
        index += 1
        if line.strip() in ("<comparison>", "</comparison>"):
            yield line.strip(), {}, "", ""
            continue
        opening = _TURN_OPEN.match(line)
        if not opening:
            continue
        role = opening.group("role")
        rest = opening.group("rest")
        closing = f"</{role}>"
        if rest.rstrip().endswith(closing):  # a one-line turn
            yield (
                role,
                dict(_ATTR.findall(opening.group("attrs"))),
                "",
                rest.rstrip()[: -len(closing)].strip(),
            )
            continue
        content: list[str] = []
        while index < len(lines) and lines[index].strip() != closing:
            content.append(lines[index])
            index += 1
        index += 1
        yield role, dict(_ATTR.findall(opening.group("attrs"))), rest, "\n".join(content).strip()

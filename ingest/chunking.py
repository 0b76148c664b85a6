"""Turn a parsed release into retrieval chunks that never cross a section boundary.

* section prose is packed paragraph by paragraph up to the token budget, each chunk prefixed with
  its heading path so that it stands on its own;
* each commentary block is chunked the same way, marked as commentary;
* every example is exactly one chunk: title, conversation and labelled replies, with the longest
  turns shortened if needed so the whole example fits the model (the full example rides along in
  the metadata, so nothing is lost for display);
* a labelled example also gets a small ``example_prompt`` key holding only its user turns, which
  points back to the example (see :func:`_prompt_chunk`);
* each question-bank entry that holds in the release is a ``bank`` key of its section: the
  question is the text, the answering sentence and short answer ride in the metadata;
* each quotable sentence of a section is a ``sentence`` chunk (:func:`sentence_chunks`): not a
  retrieval key, but its vector, stored so that a server never embeds the spec's own text
  (the ranking and the bottom line compare the question with each sentence);
* the curated questions the spec does not cover are ``not_covered`` chunks of no release
  (:func:`not_covered_chunks`), what off-topic questions are recognised by.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from specqa.core.chunk_metadata import ChunkKind, ChunkMetadata
from specqa.core.embedding_cache import content_hash
from specqa.core.question_bank import BankEntry
from specqa.core.quotes import quotable_sentences
from specqa.core.spec import Example, ParsedRelease, Section
from specqa.core.text import split_sentences

__all__ = [
    "NOT_COVERED_RELEASE",
    "Chunk",
    "chunk_release",
    "not_covered_chunks",
    "sentence_chunks",
]

NOT_COVERED_RELEASE = "-"  # the release field of chunks that belong to none

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    metadata: ChunkMetadata

    @property
    def content_hash(self) -> str:
        return self.metadata["content_hash"]


def chunk_release(
    parsed: ParsedRelease,
    count_tokens: TokenCounter,
    max_tokens: int,
    bank: Sequence[tuple[int, BankEntry, str | None]] = (),
) -> list[Chunk]:
    """``bank``: the question-bank entries whose section this release has (line number, entry,
    the sentence as the release writes it, or None where it no longer says it)."""
    examples = {example.id: example for example in parsed.examples}
    packer = _Packer(count_tokens, max_tokens)
    keys_by_section: dict[str, list[tuple[int, BankEntry, str | None]]] = {}
    for line, entry, sentence in bank:
        keys_by_section.setdefault(entry.section_id, []).append((line, entry, sentence))
    chunks: list[Chunk] = []
    for position, section in enumerate(parsed.sections):
        path = " > ".join(parsed.path_titles(section))
        base = _section_metadata(parsed.release, section, path) | {"position": position}
        chunks += _prose_chunks(parsed.release, section, path, base, packer)
        chunks += [
            _bank_chunk(parsed.release, line, entry, sentence, base)
            for line, entry, sentence in keys_by_section.get(section.id, [])
        ]
        for example_id in section.example_ids:
            example = examples[example_id]
            chunks.append(
                _example_chunk(parsed.release, example, path, base, count_tokens, max_tokens)
            )
            prompt = _prompt_chunk(parsed.release, example, base, count_tokens, max_tokens)
            if prompt is not None:
                chunks.append(prompt)
    return chunks


def _prose_chunks(
    release: str, section: Section, path: str, base: ChunkMetadata, packer: _Packer
) -> list[Chunk]:
    chunks = []
    for index, passage in enumerate(packer.pack(path, section.body) or [""]):
        chunk = _chunk(
            f"{release}:{section.id}:text:{index}", path, passage, base, "section", index
        )
        if index == 0:  # the whole parsed section rides on its first chunk, for display and diffs
            chunk.metadata["section_json"] = section.model_dump_json()
        chunks.append(chunk)
    prefix = f"{path} (commentary)"
    for block_no, block in enumerate(section.commentary):
        for index, passage in enumerate(packer.pack(prefix, block)):
            chunk_id = f"{release}:{section.id}:commentary:{block_no}.{index}"
            chunks.append(_chunk(chunk_id, prefix, passage, base, "commentary", index))
    return chunks


def _section_metadata(release: str, section: Section, path: str) -> ChunkMetadata:
    return {
        "release": release,
        "section_id": section.id,
        "section_title": section.title,
        "section_path": path,
        "parents": ",".join(section.parents),
        "level": section.level,
        "authority": section.authority or "",
        "attributes": json.dumps(section.attributes, sort_keys=True),
    }


def _chunk(
    chunk_id: str, prefix: str, passage: str, base: ChunkMetadata, kind: ChunkKind, index: int
) -> Chunk:
    text = f"{prefix}\n\n{passage}".strip()
    metadata: ChunkMetadata = {
        **base,
        "kind": kind,
        "chunk_index": index,
        "passage": passage,
        "content_hash": content_hash(text),
    }
    return Chunk(chunk_id, text, metadata)


def _example_chunk(
    release: str,
    example: Example,
    path: str,
    base: ChunkMetadata,
    count_tokens: TokenCounter,
    max_tokens: int,
) -> Chunk:
    text = _fit_example(example, path, count_tokens, max_tokens)
    labels = [response.label for response in example.responses]
    metadata: ChunkMetadata = {
        **base,
        "kind": "example",
        "chunk_index": 0,
        "passage": "",
        "example_id": example.id,
        "example_title": example.title,
        "labels": ",".join(labels),
        "has_good": "GOOD" in labels,
        "has_bad": "BAD" in labels,
        "has_ok": "OK" in labels,
        "example_json": example.model_dump_json(),
        "content_hash": content_hash(text),
    }
    return Chunk(f"{release}:{example.id}", text, metadata)


def _prompt_chunk(
    release: str, example: Example, base: ChunkMetadata, count_tokens: TokenCounter, max_tokens: int
) -> Chunk | None:
    """A second retrieval key for a labelled example: its user turns alone.

    A raw user prompt sent to the product resembles an example's user turn far more than the whole
    rendered example, so this key is what finds the governing section for such prompts.
    """
    user_text = "\n".join(t.content for t in example.conversation if t.role == "user").strip()
    if not user_text or not example.responses:
        return None
    words = user_text.split()
    while count_tokens(" ".join(words)) > max_tokens and len(words) > 8:
        words = words[: int(len(words) * 0.85)]
    text = " ".join(words)
    metadata: ChunkMetadata = {
        **base,
        "kind": "example_prompt",
        "chunk_index": 0,
        "passage": "",
        "example_id": example.id,
        "content_hash": content_hash(text),
    }
    return Chunk(f"{release}:{example.id}:prompt", text, metadata)


def _bank_chunk(
    release: str, line: int, entry: BankEntry, sentence: str | None, base: ChunkMetadata
) -> Chunk:
    """A curated question as a key of its section (its line in the bank names it); ``sentence``
    None where the release no longer says it (a stale entry: a key, but no answer)."""
    metadata: ChunkMetadata = {
        **base,
        "kind": "bank",
        "chunk_index": 0,
        "passage": "",
        "bank_line": line,
        "bank_sentence": sentence or "",
        "bank_answer": entry.answer or "",
        "bank_voice": entry.voice,
        "content_hash": content_hash(entry.question),
    }
    return Chunk(f"{release}:{entry.section_id}:bank:{line}", entry.question, metadata)


def sentence_chunks(parsed: ParsedRelease) -> list[Chunk]:
    """Each section's quotable sentences, in document order (the zero-padded index in the id
    keeps that order when the chunks are read back sorted by id)."""
    return [
        Chunk(
            f"{parsed.release}:{section.id}:sentence:{index:04d}",
            sentence.text,
            {
                "release": parsed.release,
                "kind": "sentence",
                "section_id": section.id,
                "chunk_index": index,
                "content_hash": content_hash(sentence.text),
            },
        )
        for section in parsed.sections
        for index, sentence in enumerate(quotable_sentences(section.body or section.title))
    ]


def not_covered_chunks(questions: list[str]) -> list[Chunk]:
    """The curated off-topic questions, one chunk each, of no release and no section."""
    return [
        Chunk(
            f"not_covered:{number}",
            text,
            {
                "release": NOT_COVERED_RELEASE,
                "kind": "not_covered",
                "section_id": "",
                "content_hash": content_hash(text),
            },
        )
        for number, text in enumerate(questions, start=1)
    ]


def _fit_example(example: Example, path: str, count_tokens: TokenCounter, max_tokens: int) -> str:
    """Render the example; while over budget, shorten the longest turn or reply by words."""
    header = f"{path} — Example: {example.title}"
    parts = [[turn.role, turn.content] for turn in example.conversation]
    parts += [[_reply_tag(r.label, r.rationale), r.text] for r in example.responses]

    def render() -> str:
        return "\n".join([header, *(f"{tag}: {content}" for tag, content in parts)])

    text = render()
    for _ in range(50):
        excess = count_tokens(text) - max_tokens
        if excess <= 0:
            break
        longest = max(parts, key=lambda part: len(part[1]))
        words = longest[1].split()
        keep = max(3, len(words) - max(4, int(excess * 0.8)))
        if keep >= len(words):
            break
        longest[1] = " ".join(words[:keep]) + " …"
        text = render()
    return text


def _reply_tag(label: str, rationale: str) -> str:
    return f"assistant reply labelled {label}" + (f" ({rationale})" if rationale else "")


class _Packer:
    """Greedy packing of paragraphs (then sentences, then words) under a token budget."""

    def __init__(self, count_tokens: TokenCounter, max_tokens: int) -> None:
        self.count = count_tokens
        self.max_tokens = max_tokens

    def pack(self, prefix: str, body: str) -> list[str]:
        budget = self.max_tokens - self.count(prefix) - 2
        pieces = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        chunks: list[str] = []
        current: list[str] = []
        for piece in self._split_oversized(pieces, budget):
            candidate = "\n\n".join([*current, piece])
            if current and self.count(candidate) > budget:
                chunks.append("\n\n".join(current))
                current = [piece]
            else:
                current.append(piece)
        if current:
            chunks.append("\n\n".join(current))
        return chunks

    def _split_oversized(self, pieces: list[str], budget: int) -> list[str]:
        out: list[str] = []
        for piece in pieces:
            if self.count(piece) <= budget:
                out.append(piece)
                continue
            sentences = split_sentences(piece)
            if len(sentences) == 1:
                out.extend(self._split_words(piece, budget))
            else:
                out.extend(self._split_oversized(sentences, budget))
        return out

    def _split_words(self, text: str, budget: int) -> list[str]:
        words, out, current = text.split(), [], []  # type: ignore[var-annotated]
        for word in words:
            if current and self.count(" ".join([*current, word])) > budget:
                out.append(" ".join(current))
                current = []
            current.append(word)
        if current:
            out.append(" ".join(current))
        return out

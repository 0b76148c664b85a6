"""``GET /diff?from=&to=&section=``: a diff between two releases as a page people can read, the
target of every diff link (chat, Slack, MCP, the web page). Release pickers (a plain form) choose
other releases; with no parameters the page compares the two newest; a link leads back to ``/``.

Server-rendered HTML, every piece of spec text escaped, the same security headers as ``/`` (a
strict CSP: only the page's own stylesheet, no script). What matters comes first: sections added,
removed and renamed, authority changes, reworded rules with the old and new sentences side by side
(removed words struck through in red, added words in green), examples, trivial edits last. Like
``/``, the page needs no API key (it shows only the public spec text); it is rate limited.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from server.domain.releases.diff import (
    ExampleChanges,
    ReleaseDiff,
    RenamedSection,
    SectionChange,
    renamed_where,
)
from server.domain.releases.diff_markdown import backwards_note
from server.domain.releases.example_diff import describe_reply, describe_turn
from server.domain.releases.text_diff import SentenceEdit, word_ops
from server.domain.schemas import section_url
from server.edge.deps import ServiceDep
from server.edge.security import RateLimited
from server.web.page import PAGE_HEADERS
from specqa.core.errors import SpecQAError
from specqa.core.spec import ParsedRelease

__all__ = ["render_diff_page", "router"]

router = APIRouter(include_in_schema=False)


@router.get("/diff", response_class=HTMLResponse)
def diff_page(
    _: RateLimited,  # the page needs no key, like /
    service: ServiceDep,
    request: Request,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
    section: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """Without ``from`` or ``to``, the two newest releases (or the release before ``to``, the
    newest after ``from``); with one release indexed, the pickers and nothing compared yet. An
    unknown release or section is a 404: a page with the pickers for a browser, JSON else."""
    names = service.releases().names
    old, new = _defaults(names, from_, to)
    if old is None or new is None:
        return HTMLResponse(_empty_page(names), headers=PAGE_HEADERS)
    try:
        compared = service.compare(old, new, section or None)
    except SpecQAError as exc:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        page = _page(
            "Model Spec release diff",
            f"<p>{escape(exc.public_message)}.</p>",
            _pickers(names, None, None, None),
        )
        return HTMLResponse(page, status_code=exc.status_code, headers=PAGE_HEADERS)
    page = render_diff_page(compared.diff, compared.old, compared.new, names)
    return HTMLResponse(page, headers=PAGE_HEADERS)


def _defaults(names: list[str], old: str | None, new: str | None) -> tuple[str | None, str | None]:
    """The releases to compare when the request leaves one or both out (``names`` oldest first)."""
    if old and new:
        return old, new
    if old:
        return old, names[-1] if names else None
    if new:
        index = names.index(new) if new in names else len(names)
        return (names[index - 1] if index > 0 else None), new
    return (names[-2], names[-1]) if len(names) > 1 else (None, None)


def _empty_page(names: list[str]) -> str:
    only = f"Only {escape(names[0])} is indexed" if names else "No release is indexed"
    body = f"<p>{only}: there is nothing to compare yet.</p>"
    return _page("Model Spec release diff", body, _pickers(names, None, None, None))


def _pickers(names: list[str], old: str | None, new: str | None, section: str | None) -> str:
    """A form (no script) choosing the two releases and, optionally, one section."""

    def select(name: str, label: str, chosen: str | None) -> str:
        options = "".join(
            f'<option value="{escape(n, quote=True)}"{" selected" if n == chosen else ""}>'
            f"{escape(n)}</option>"
            for n in names
        )
        return f'<label>{label} <select name="{name}">{options}</select></label> '

    value = escape(section or "", quote=True)
    return (
        '<form class="pickers" method="get" action="/diff">'
        + select("from", "From", old)
        + select("to", "to", new)
        + f'<label>section id (optional) <input name="section" value="{value}" '
        'maxlength="200" placeholder="e.g. do_not_lie"></label> '
        '<button type="submit">Compare</button></form>'
    )


def render_diff_page(
    diff: ReleaseDiff, old: ParsedRelease, new: ParsedRelease, names: list[str] | None = None
) -> str:
    """The diff as a page; ``names`` (the indexed releases) adds the release pickers."""
    scope = f" · section {diff.section}" if diff.section else ""
    title = f"Model Spec {diff.from_release} → {diff.to_release}{scope}"
    meaning = [c for c in diff.changes if c.significance == "meaning"]
    trivial = [c for c in diff.changes if c.significance == "trivial"]
    parts = [
        _listing("Added sections", [_section_item(sid, new) for sid in diff.added]),
        _listing("Removed sections", [_section_item(sid, old) for sid in diff.removed]),
        _listing(
            "Renamed",
            [_renamed(r, diff.to_release) for r in diff.renamed],
        ),
        _listing(
            "Authority changed",
            [
                f"<code>{escape(a.section_id)}</code>: {escape(str(a.from_authority))} → "
                f"<strong>{escape(str(a.to_authority))}</strong>"
                for a in diff.authority_changed
            ],
        ),
        _changes("Rules whose wording changed", meaning, diff),
        _listing(
            "Sections whose examples changed",
            [_examples(sid, ch) for sid, ch in diff.examples.items()],
        ),
        _changes("Trivial edits (punctuation, case, a word or two)", trivial, diff),
    ]
    body = "".join(parts) or "<p>No differences.</p>"
    if diff.backwards:
        body = f'<p class="warning"><strong>{escape(backwards_note(diff))}</strong></p>{body}'
    pickers = _pickers(names, diff.from_release, diff.to_release, diff.section) if names else ""
    legend = (
        '<p class="muted">Removed words are <del>struck through</del>, added words '
        "<ins>highlighted</ins>. Quoted from the Model Spec releases; nothing here is "
        "paraphrased.</p>"
    )
    return _page(title, body, pickers + legend)


def _page(title: str, body: str, header: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/diff.css"></head><body>'
        '<nav><a href="/">← Ask the Model Spec a question</a></nav>'
        f"<header><h1>{escape(title)}</h1>{header}</header>"
        f"<main>{body}</main></body></html>\n"
    )


def _listing(heading: str, items: list[str]) -> str:
    if not items:
        return ""
    rows = "".join(f"<li>{item}</li>" for item in items)
    return f"<section><h2>{escape(heading)} ({len(items)})</h2><ul>{rows}</ul></section>"


def _section_item(section_id: str, release: ParsedRelease) -> str:
    section = release.section(section_id)
    link = _spec_link(release.release, section_id)
    if section is None:
        return link
    return f"{link} {escape(section.title)} (authority: {escape(section.authority or 'none')})"


def _spec_link(release: str, section_id: str) -> str:
    url = escape(section_url(release, section_id), quote=True)
    return f'<a href="{url}" rel="noopener noreferrer"><code>{escape(section_id)}</code></a>'


def _changes(heading: str, changes: list[SectionChange], diff: ReleaseDiff) -> str:
    if not changes:
        return ""
    articles = "".join(_change(change, diff) for change in changes)
    return f"<section><h2>{escape(heading)} ({len(changes)})</h2>{articles}</section>"


def _change(change: SectionChange, diff: ReleaseDiff) -> str:
    rows = "".join(_row(edit) for edit in change.sentences)
    head = f"<tr><th>{escape(diff.from_release)}</th><th>{escape(diff.to_release)}</th></tr>"
    return (
        f"<article><h3>{_spec_link(diff.to_release, change.section_id)} "
        f"{escape(change.title)}</h3>"
        f'<p class="muted">{escape(change.summary)}</p>'
        f'<table class="side-by-side"><thead>{head}</thead><tbody>{rows}</tbody></table>'
        "</article>"
    )


def _row(edit: SentenceEdit) -> str:
    note = '<span class="muted">(commentary)</span> ' if edit.part == "commentary" else ""
    old = _marked(edit, "removed") if edit.removed else ""
    new = _marked(edit, "added") if edit.added else ""
    return f"<tr>{_cell(note, old)}{_cell(note, new)}</tr>"


def _renamed(rename: RenamedSection, release: str) -> str:
    """An id renamed (``old`` → ``new``), or a title changed under the same id."""
    titles = f"“{escape(rename.from_title)}” → “{escape(rename.to_title)}”"
    if rename.kind == "title":
        return f"<code>{escape(rename.to_id)}</code>, title: {titles}"
    return (
        f"<code>{escape(rename.from_id)}</code> → <code>{escape(rename.to_id)}</code>"
        f"{escape(renamed_where(rename, release))}: {titles}"
    )


def _cell(note: str, text: str) -> str:
    return f"<td>{note}{text}</td>" if text else '<td class="empty"></td>'


def _marked(edit: SentenceEdit, side: str) -> str:
    """One side of the edit, its own changed words wrapped in <del> or <ins>."""
    tag = "del" if side == "removed" else "ins"
    pieces: Iterable[str] = (
        escape(op.text) if op.tag == "equal" else f"<{tag}>{escape(op.text)}</{tag}>"
        for op in word_ops(edit.removed, edit.added)
        if op.tag in ("equal", side)
    )
    return "".join(pieces)


def _examples(section_id: str, change: ExampleChanges) -> str:
    parts = [f"<code>{escape(section_id)}</code>:"]
    parts += [f"added “{escape(t)}”;" for t in change.added]
    parts += [f"removed “{escape(t)}”;" for t in change.removed]
    parts += [
        f"relabelled “{escape(r.title)}” {escape('/'.join(r.from_labels))} → "
        f"{escape('/'.join(r.to_labels))};"
        for r in change.relabelled
    ]
    parts += [f"changed “{escape(t)}”;" for t in change.changed]
    parts += [
        f"moved “{escape(m.title)}” {escape(m.from_section)} → {escape(m.to_section)};"
        for m in change.moved
    ]
    return " ".join(parts).rstrip(";") + _replies(change)


REPLY_CHARS = 600  # a page has room for most of a reply


def _replies(change: ExampleChanges) -> str:
    """Each changed example's messages and replies that changed: a reply's old text struck
    through, the new one highlighted, as the rules' sentences are; a message's changed words
    marked."""
    items = [
        f"<li>“{escape(example.title)}”: {line}</li>"
        for example in change.replies
        for line in [
            *(describe_turn(turn, REPLY_CHARS, _marked_words, escape) for turn in example.turns),
            *(
                describe_reply(reply, REPLY_CHARS, _marked_reply, _marked_words, escape)
                for reply in example.replies
            ),
        ]
    ]
    return f'<ul class="replies">{"".join(items)}</ul>' if items else ""


def _marked_words(tag: str, text: str) -> str:
    """A message's removed words struck through, its added ones highlighted."""
    return _marked_reply("before" if tag == "removed" else "after", text)


def _marked_reply(side: str, text: str) -> str:
    tag = "del" if side == "before" else "ins"
    return f"<{tag}>{escape(text)}</{tag}>"

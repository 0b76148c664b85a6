"""The web chat page: ``/`` serves ``index.html``, ``/static/...`` its script, styles and icon.

Everything is served from the package folder ``server/web/assets`` (no build step, no CDN), which
holds only what a browser loads: ``/static`` serves nothing else (no Python sources). The page gets
a strict Content-Security-Policy: only its own script and styles run, it only talks to this origin,
and it cannot be framed. The page itself needs no key; the API calls it makes carry one when set.
``/`` fills in the server's longest accepted question (``SPECQA_MAX_QUESTION_CHARS``) so the page
counts characters against the real limit.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from server.edge.deps import SettingsDep

__all__ = ["ASSETS_DIR", "CONTENT_SECURITY_POLICY", "MAX_CHARS_MARK", "PAGE_HEADERS", "router"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
MAX_CHARS_MARK = 'data-max-chars="2000"'  # in index.html; ``/`` puts the configured limit there


class _StaticFiles(StaticFiles):
    """StaticFiles with the page's headers on every response (``/static/index.html`` is the page
    too), revalidated (ETag) on every load."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        for name, value in PAGE_HEADERS.items():
            response.headers[name] = value
        return response


router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def index(settings: SettingsDep) -> HTMLResponse:
    html = (ASSETS_DIR / "index.html").read_text(encoding="utf-8")
    limit = f'data-max-chars="{settings.answers.max_question_chars}"'
    return HTMLResponse(html.replace(MAX_CHARS_MARK, limit), headers=PAGE_HEADERS)


router.mount("/static", _StaticFiles(directory=ASSETS_DIR), name="static")

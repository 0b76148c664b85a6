"""Links to this server's own pages, absolute when ``SPECQA_PUBLIC_BASE_URL`` is set.

Chat clients, Slack and MCP hosts show a link outside this server, where a relative ``/diff?...``
leads nowhere; with the public base URL set every link built here works anywhere.
"""

from __future__ import annotations

from urllib.parse import urlencode

__all__ = ["Links"]


class Links:
    def __init__(self, public_base_url: str | None) -> None:
        self.base = (public_base_url or "").rstrip("/")

    def diff(self, from_release: str, to_release: str, section: str | None = None) -> str:
        """The readable diff page: added and removed text side by side."""
        query = {"from": from_release, "to": to_release}
        if section:
            query["section"] = section
        return f"{self.base}/diff?{urlencode(query)}"

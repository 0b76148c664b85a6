"""The project's own exceptions, translated at the edges (HTTP 4xx/503 JSON, CLI exit 2).

SpecQAError
├── InputError              bad input from the caller (400/422; CLI exit 2)
│   ├── UnknownReleaseError     a release that is not in the manifest or index (404)
│   ├── UnknownSectionError     a section id that the release does not have (404)
│   └── UnknownAnswerError      feedback naming an answer id that was never recorded (404)
├── SpecSourceError         a release file missing, unreadable or failing its checksum
├── SpecIndexError          no index, an incompatible index, or a failed build
└── BackendUnavailableError the vector store or another backend is unreachable (503)
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "InputError",
    "SpecIndexError",
    "SpecQAError",
    "SpecSourceError",
    "UnknownAnswerError",
    "UnknownModelError",
    "UnknownReleaseError",
    "UnknownSectionError",
]


class SpecQAError(Exception):
    """Base class: every error the project raises on purpose."""

    status_code = 400

    def __init__(self, message: str, public_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # What an HTTP reply may say: no internal addresses (the full message is logged).
        self.public_message = public_message or message


class InputError(SpecQAError):
    status_code = 400


class UnknownReleaseError(InputError):
    status_code = 404


class UnknownSectionError(InputError):
    status_code = 404


class UnknownAnswerError(InputError):
    status_code = 404


class UnknownModelError(InputError):
    """A chat request for a model this server does not serve (as OpenAI answers one)."""

    status_code = 404


class SpecSourceError(SpecQAError):
    status_code = 500


class SpecIndexError(SpecQAError):
    status_code = 503


class BackendUnavailableError(SpecQAError):
    status_code = 503

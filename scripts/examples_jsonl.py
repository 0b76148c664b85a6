"""Write a release's own labelled examples as audit input: one ``{"messages": [...]}`` line per
labelled response (the example's turns, then that response as the assistant's reply), so that
``specqa audit`` can be tried on, and checked against, the spec itself.

    .venv/bin/python scripts/examples_jsonl.py [RELEASE] > spec-examples.jsonl
"""

from __future__ import annotations

import json
import sys

from ingest.parser import parse_release
from ingest.sources import ReleaseSource
from server.settings import Settings


def main(release: str | None) -> None:
    source = ReleaseSource(Settings())
    version = source.info(release or "latest").version
    parsed = parse_release(version, source.read(version))
    for example in parsed.examples:
        turns = [{"role": t.role, "content": t.content} for t in example.conversation]
        for response in example.responses:
            reply = {"role": "assistant", "content": response.text}
            line = {"messages": [*turns, reply], "metadata": {"example": example.id}}
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)

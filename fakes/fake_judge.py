"""The fake OpenAI server's judge mode, and its command line.

    python -m fakes.openai_server --port 8089 --mode judge

In judge mode every request the script does not cover is answered from what it asks:

* a routing request (its system message carries the TABLE OF CONTENTS) names the search
  engine's top sections, as given in the request;
* a judge request (a fenced ``<<<DATA token>>>`` block) gets a well-formed verdict that is
  plainly a fake: the verdict is drawn from a hash of the reply under review (the same reply,
  the same verdict), the reason says "fake judge", and the quotes are the first plain sentence
  of the first evidence section (verbatim) and one sentence the fake made up, which a real check
  must drop;
* anything else gets the scripted default.

Standard library only, like the server itself.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import signal
import sys
import threading
from typing import Any

from fakes.openai_server import FakeOpenAIServer, ScriptedReply

__all__ = ["FAKE_QUOTE", "judge_mode_reply", "main"]

FAKE_VERDICTS = ("follows", "violates", "borderline", "not_covered")
FAKE_QUOTE = "The fake judge made this sentence up, so no section holds it."
_FENCE = re.compile(r"<<<DATA ([0-9a-f]+)>>>\n(.*)\n<<<END DATA \1>>>", re.S)
_SENTENCE = re.compile(r"[^.!?\n]{30,300}[.!?]")
MODES = ("scripted", "judge")


def judge_mode_reply(body: dict[str, Any]) -> str:
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    texts = [str(m.get("content", "")) for m in messages]
    if texts and "TABLE OF CONTENTS" in texts[0]:
        return _route(texts[-1])
    fenced = _FENCE.search(texts[-1]) if texts else None
    if fenced is None:
        return "Verdict: depends\n\nThe fake server in judge mode only judges."
    reply = str(json.loads(fenced.group(2)).get("reply_under_review", ""))
    verdict = FAKE_VERDICTS[hashlib.sha256(reply.encode()).digest()[0] % len(FAKE_VERDICTS)]
    return json.dumps(
        {
            "verdict": verdict,
            "reason": f"fake judge: '{verdict}' drawn from a hash of the reply, not from reading it",
            "sentences": _quotes(texts),
        }
    )


def _route(request: str) -> str:
    shortlist = request.split("(may be wrong)\n", 1)[-1].split("\n\n", 1)[0]
    ids = [line.split(" | ", 1)[0].strip() for line in shortlist.splitlines() if " | " in line]
    return json.dumps({"sections": ids[:3]})


def _quotes(texts: list[str]) -> list[dict[str, str]]:
    evidence = next((t for t in texts if t.startswith("EVIDENCE\n")), "")
    sections = json.loads(evidence.split("\n", 1)[1]).get("sections", []) if evidence else []
    if not sections:
        return []
    first = sections[0]
    quotes = [{"section_id": first["id"], "quote": FAKE_QUOTE}]
    for match in _SENTENCE.finditer(first.get("text", "")):
        sentence = match.group(0).strip()
        if not re.search(r"[*`_\[\]<>#|]", sentence) and sentence[:1].isupper():
            quotes.insert(0, {"section_id": first["id"], "quote": sentence})
            break
    return quotes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m fakes.openai_server", description="A fake OpenAI chat-completions server."
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--mode", choices=MODES, default="scripted")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    args = parser.parse_args(argv)
    fake = FakeOpenAIServer(port=args.port)
    if args.delay > 0:
        fake.default = ScriptedReply("slow", content=fake.default.content, delay_s=args.delay)
    if args.mode == "judge":
        fake.responder = judge_mode_reply
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with fake:
        print(f"fake OpenAI server, mode {args.mode}: {fake.base_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    sys.exit(0)

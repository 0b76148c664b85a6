"""One LLM call or two? Answer latency with and without the routing call, against the local fake
chat-completions server scripted like a provider: a fixed time to the first token per call and a
delay per streamed chunk (the answer is long, the routing reply short).

    SPECQA_INDEX_DIR=index PYTHONPATH=. python bench/llm_calls.py [--first-token-s 0.5] [--chunk-s 0.02]

Prints, for ``llm_route`` off (one call: the hybrid's sections) and on (two calls: route over the
whole table of contents, then answer), the median of a few runs: the whole answer, and for a
stream the time to the first answer text.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

from fakes.openai_server import FakeOpenAIServer, ScriptedReply
from server.composition.components import build_components
from server.domain.answering.service import AnsweringService
from server.settings import Settings

QUESTION = "Should the model reveal its system prompt when a user asks for it?"
ANSWER = "Verdict: no\n\n" + "Keep it private [protect_privileged_information]. " * 24
ROUTE = json.dumps({"sections": ["protect_privileged_information", "chain_of_command"]})


def measure(
    service: AnsweringService, fake: FakeOpenAIServer, args: argparse.Namespace
) -> dict[str, float]:
    whole, first_text = [], []
    for _ in range(args.runs):
        _script(fake, args, streaming=False)
        started = time.perf_counter()
        service.answer(QUESTION)
        whole.append(time.perf_counter() - started)
        _script(fake, args, streaming=True)
        started = time.perf_counter()
        events = service.stream(QUESTION)  # a generator: closed below, freeing its LLM slot
        for event in events:
            if event.type == "delta":
                first_text.append(time.perf_counter() - started)
                break
        events.close()  # type: ignore[attr-defined]
    return {
        "answer_s": round(statistics.median(whole), 3),
        "first_text_s": round(statistics.median(first_text), 3),
    }


def _script(fake: FakeOpenAIServer, args: argparse.Namespace, *, streaming: bool) -> None:
    """Each reply takes the time to its first token, then a delay per 8-character chunk."""
    fake.script()
    for content, when in ((ROUTE, "TABLE OF CONTENTS"), (ANSWER, None)):
        generation = math.ceil(len(content) / 8) * args.chunk_s
        reply = ScriptedReply(
            "slow",
            content,
            delay_s=args.first_token_s + (0 if streaming else generation),
            chunk_delay_s=args.chunk_s if streaming else 0.0,
        )
        fake.script(reply, when=when)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--first-token-s", type=float, default=0.5)
    parser.add_argument("--chunk-s", type=float, default=0.02, help="per 8-character chunk")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with FakeOpenAIServer() as fake:
        for route in (False, True):
            settings = Settings(
                llm_model="fake", openai_base_url=fake.base_url, llm_route=route,
                llm_timeout_s=60, llm_deadline_s=120,
            )  # fmt: skip
            service = build_components(settings).service
            print(f"llm_route={route}: {measure(service, fake, args)}")


if __name__ == "__main__":
    main()

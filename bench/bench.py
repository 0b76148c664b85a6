"""Benchmark: ingest, cold start, warm HTTP latency and throughput, peak RSS, and the naive baseline.

    python bench/bench.py [--json out.json] [--quick] [--spec-dir DIR]

What it measures, in this order, in a fresh temporary folder (deleted afterwards):

1. ingest (`specqa ingest --json` in a subprocess, as a user runs it): the newest release alone into
   a fresh index, all five releases into another fresh index (each index has its own embedding
   cache, so neither run gets the other's vectors for free), then a no-op re-ingest of the second;
2. server cold start: spawn `specqa serve` on a free loopback port against the five-release index
   and poll /readyz until it answers 200 (repeated; the OS file cache is warm after the ingest);
3. warm latency over real HTTP: GET /v1/search and POST /v1/answer (extractive) at concurrency 1, 8
   and 32, a fixed number of requests per level, the 181 varied questions of tests/eval (there is no
   query cache), with p50/p95/p99 and throughput, in rounds to show the noise;
4. the server's peak RSS (VmHWM: the high-water mark over its whole life, load included);
5. in-process, with the server stopped, on the same questions: one query embedding,
   ``HybridRetriever.search`` and ``NaiveRetriever.rank_sections`` (the naive baseline, embedding
   included in both) and a whole extractive answer.

Client and server share the machine's cores, so the HTTP figures include the load generator's
own CPU. Machine facts, the load average and other busy processes are recorded beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and `bench` would be this file: put the
# repository root there instead, so that `bench.load` is the sibling module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from bench.load import (  # noqa: E402 - the repo root must be importable first
    Call,
    RunResult,
    answer_call,
    load_questions,
    mixed_calls,
    percentiles,
    run_fixed,
    search_call,
    spawn_server,
)

DEFAULT_OUT = REPO / "bench" / "results" / "latest.json"
LEVELS = (1, 8, 32)
GIB = 1024**3

# issue 7's targets on the 2-core machine
TARGET_SEARCH_P50_MS = 25.0
TARGET_SEARCH_P95_MS = 60.0
TARGET_RPS_AT_8 = 60.0
TARGET_COLD_START_S = 6.0
TARGET_PEAK_RSS_BYTES = 1 * GIB
TARGET_INGEST_RATIO = 1.5
TARGET_ANSWER_OVER_EMBED = 3.0


# --- machine and activity -------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total = _proc_kb("/proc/meminfo", "MemTotal")
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "specqa_env": {
            k: v
            for k, v in os.environ.items()
            if k.startswith("SPECQA_") and "KEY" not in k and "SECRET" not in k and "TOKEN" not in k
        },
        "omp_env": {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "MKL_"))},
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model or platform.processor(),
        "mem_total_gib": round(mem_total * 1024 / GIB, 1) if mem_total else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
    try:
        from importlib.metadata import version

        info["torch"] = version("torch")
        info["chromadb"] = version("chromadb")
        info["onnxruntime"] = version("onnxruntime")
    except Exception:  # noqa: BLE001 - informational only
        pass
    from server.settings import Settings

    settings = Settings()
    info["embed_backend"] = settings.index.embed_backend  # SPECQA_EMBED_BACKEND
    info["embed_threads"] = (
        settings.index.embed_threads
    )  # SPECQA_EMBED_THREADS, server and in-process
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["git_commit"] = None
    return info


def _proc_kb(path: str, key: str) -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _cpu_ticks() -> dict[int, tuple[int, str]]:
    ticks: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        ticks[int(entry.name)] = (int(fields[11]) + int(fields[12]), cmd.strip()[:100])
    return ticks


def activity(sample_s: float = 1.0) -> dict[str, Any]:
    """Load average and the processes (not this one) using > 10% of a core over ``sample_s``."""
    hz = os.sysconf("SC_CLK_TCK")
    before = _cpu_ticks()
    time.sleep(sample_s)
    after = _cpu_ticks()
    busy = []
    for pid, (ticks, cmd) in after.items():
        if pid == os.getpid() or pid not in before:
            continue
        share = (ticks - before[pid][0]) / hz / sample_s * 100
        if share > 10:
            busy.append({"pid": pid, "cpu_percent": round(share), "cmd": cmd})
    return {
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "busy_processes": sorted(busy, key=lambda p: -p["cpu_percent"]),
    }


def peak_rss(pid: int) -> dict[str, int | None]:
    """High-water and current RSS of a process, in bytes (psutil when installed, else /proc)."""
    try:
        import psutil

        memory = psutil.Process(pid).memory_info()
        hwm = _proc_kb(f"/proc/{pid}/status", "VmHWM")
        return {"peak_bytes": hwm * 1024 if hwm else None, "current_bytes": int(memory.rss)}
    except ImportError:
        hwm = _proc_kb(f"/proc/{pid}/status", "VmHWM")
        rss = _proc_kb(f"/proc/{pid}/status", "VmRSS")
        return {
            "peak_bytes": hwm * 1024 if hwm else None,
            "current_bytes": rss * 1024 if rss else None,
        }


# --- ingest -----------------------------------------------------------------------------------
def ingest_cli(index_dir: Path, spec_dir: Path, releases: Sequence[str] = ()) -> dict[str, Any]:
    command = [sys.executable, "-m", "specqa", "ingest", "--json", "--index-dir", str(index_dir)]
    for release in releases:
        command += ["--release", release]
    env = {**os.environ, "SPECQA_SPEC_DIR": str(spec_dir), "HF_HUB_OFFLINE": "1"}
    env.pop("SPECQA_CHROMA_URL", None)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ingest failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    report = json.loads(done.stdout)
    return {
        "wall_s": round(wall, 2),
        "pipeline_s": report["seconds"],
        "embedded": report["embedded"],
        "reused": report["reused"],
        "chunks": sum(r["chunks"] for r in report["releases"].values()),
        "unchanged": report["unchanged"],
        "per_release_s": {name: r["seconds"] for name, r in report["releases"].items()},
        "tuning": report.get("tuning"),
    }


def newest_release() -> str:
    manifest = json.loads((REPO / "spec" / "releases.json").read_text(encoding="utf-8"))
    return str(max(r["version"] for r in manifest["releases"]))


# --- HTTP latency -----------------------------------------------------------------------------
def http_levels(
    url: str, questions: Sequence[str], per_level: int, rounds: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """Per endpoint and concurrency: pooled percentiles plus per-round p50/p95/throughput."""
    makers: dict[str, Callable[[str], Call]] = {"search": search_call, "answer": answer_call}
    pooled: dict[str, dict[int, list[RunResult]]] = {k: {c: [] for c in LEVELS} for k in makers}
    offset = 0
    for round_no in range(rounds):
        for concurrency in LEVELS:
            for kind, make in makers.items():
                chosen = [questions[(offset + i) % len(questions)] for i in range(per_level)]
                result = asyncio.run(run_fixed(url, [make(q) for q in chosen], concurrency))
                pooled[kind][concurrency].append(result)
                s = result.summary()
                log(
                    f"  round {round_no + 1} {kind:<6} c={concurrency:<2} "
                    f"p50 {s['p50_ms']:.1f} ms  p95 {s['p95_ms']:.1f} ms  "
                    f"{s['throughput_rps']:.1f} req/s  errors {s['errors']}"
                )
            offset += per_level
    out: dict[str, Any] = {}
    for kind, levels in pooled.items():
        out[kind] = {}
        for concurrency, results in levels.items():
            seconds = [o.seconds for r in results for o in r.outcomes if o.ok]
            summaries = [r.summary() for r in results]
            out[kind][str(concurrency)] = {
                "requests": sum(len(r.outcomes) for r in results),
                "errors": sum(r.errors for r in results),
                "statuses": _merge([r.statuses for r in results]),
                **{f"{k}_ms": v for k, v in percentiles(seconds).items()},
                "throughput_rps": round(
                    sum(len(r.outcomes) for r in results) / sum(r.wall_s for r in results), 2
                ),
                "rounds": [
                    {
                        "p50_ms": s["p50_ms"],
                        "p95_ms": s["p95_ms"],
                        "throughput_rps": s["throughput_rps"],
                    }
                    for s in summaries
                ],
            }
    return out


def _merge(histograms: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for histogram in histograms:
        for status, count in histogram.items():
            total[status] = total.get(status, 0) + count
    return total


def warm_up(url: str, questions: Sequence[str]) -> None:
    calls = [mixed_calls(list(reversed(questions)))(i) for i in range(24)]
    result = asyncio.run(run_fixed(url, calls, 4))
    if result.errors:
        raise SystemExit(f"warm-up failed: {result.statuses}")


# --- in-process: hybrid vs naive, one embedding, one answer ------------------------------------
def in_process(index_dir: Path, spec_dir: Path, questions: Sequence[str]) -> dict[str, Any]:
    from server.composition.components import build_components
    from server.domain.evaluation.naive_baseline import NaiveRetriever
    from server.settings import Settings
    from specqa.core.embedding_cache import EmbeddingCache

    settings = Settings(
        index_dir=index_dir,
        spec_dir=spec_dir,
        releases_file=REPO / "spec" / "releases.json",
        llm_model=None,
        chroma_url=None,
    )
    parts = build_components(settings)
    rc = parts.corpus().get(None)
    started = time.perf_counter()
    cache = EmbeddingCache(index_dir / "embed_cache.sqlite", parts.embedder.name)
    naive = NaiveRetriever(rc.parsed, parts.embedder, cache)
    cache.close()
    naive_build_s = time.perf_counter() - started

    def embed(q: str) -> object:
        return parts.embedder.embed_query(q)

    def hybrid(q: str) -> object:
        return parts.retriever.search(q, rc.release, k_sections=5, k_examples=3)

    def naive_rank(q: str) -> object:
        return naive.rank_sections(q, k=10)

    def answer(q: str) -> object:
        return parts.service.answer(q, rc.release, "extractive")

    steps: dict[str, Callable[[str], object]] = {
        "embed_query": embed,
        "hybrid_search": hybrid,
        "naive_search": naive_rank,
        "extractive_answer": answer,
    }
    for q in questions[-10:]:  # warm-up, not measured
        for step in steps.values():
            step(q)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for q in questions:  # interleaved, so a burst of background load hits all four alike
        for name, step in steps.items():
            t0 = time.perf_counter()
            step(q)
            times[name].append(time.perf_counter() - t0)
    out: dict[str, Any] = {name: percentiles(values) for name, values in times.items()}
    out["n"] = len(questions)
    out["release"] = rc.release
    out["naive_windows"] = len(naive.windows)
    out["naive_build_s"] = round(naive_build_s, 2)
    out["hybrid_over_naive_p50"] = _ratio(out["hybrid_search"]["p50"], out["naive_search"]["p50"])
    out["hybrid_over_naive_p95"] = _ratio(out["hybrid_search"]["p95"], out["naive_search"]["p95"])
    out["answer_over_embed_p50"] = _ratio(
        out["extractive_answer"]["p50"], out["embed_query"]["p50"]
    )
    return out


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


# --- targets and the table ----------------------------------------------------------------------
def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    http = results["http"]
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float | None, target: str, ok: bool | None) -> None:
        rows.append({"target": name, "value": value, "goal": target, "pass": ok})

    s1 = http["search"]["1"]
    add(
        "/v1/search p50 @c=1 (HTTP)",
        s1["p50_ms"],
        f"<= {TARGET_SEARCH_P50_MS:.0f} ms",
        s1["p50_ms"] <= TARGET_SEARCH_P50_MS,
    )
    add(
        "/v1/search p95 @c=1 (HTTP)",
        s1["p95_ms"],
        f"<= {TARGET_SEARCH_P95_MS:.0f} ms",
        s1["p95_ms"] <= TARGET_SEARCH_P95_MS,
    )
    for kind in ("search", "answer"):
        rps = http[kind]["8"]["throughput_rps"]
        add(
            f"/v1/{kind} throughput @c=8",
            rps,
            f">= {TARGET_RPS_AT_8:.0f} req/s",
            rps >= TARGET_RPS_AT_8,
        )
    cold = results["cold_start"]["median_s"]
    add(
        "cold start to /readyz (median)",
        cold,
        f"<= {TARGET_COLD_START_S:.0f} s",
        cold <= TARGET_COLD_START_S,
    )
    peak = results["rss"]["peak_bytes"]
    add(
        "server peak RSS (MiB)",
        round(peak / 2**20) if peak else None,
        "<= 1024 MiB",
        peak <= TARGET_PEAK_RSS_BYTES if peak else None,
    )
    # pipeline: the report's own seconds (parse, chunk, embed, write), stricter; wall: the whole
    # `specqa ingest` command as a user times it (interpreter and model load included)
    for kind in ("pipeline", "wall"):
        ratio = results["ingest"].get(f"ratio_{kind}")
        add(
            f"ingest all five / newest ({kind} s)" + ("" if ratio else ": not measured (--quick)"),
            ratio,
            f"<= {TARGET_INGEST_RATIO}",
            ratio <= TARGET_INGEST_RATIO if ratio else None,
        )
    ip = results["in_process"]
    answer_ratio = ip["answer_over_embed_p50"]  # both timed interleaved, in the same process
    add(
        "extractive answer p50 / one query embedding p50 (in-process)",
        answer_ratio,
        f"<= {TARGET_ANSWER_OVER_EMBED:.0f}x",
        answer_ratio <= TARGET_ANSWER_OVER_EMBED if answer_ratio else None,
    )
    http_ratio = _ratio(http["answer"]["1"]["p50_ms"], ip["embed_query"]["p50"])
    add(
        "(info) /v1/answer p50 @c=1 (HTTP) / in-process embedding p50",
        http_ratio,
        f"<= {TARGET_ANSWER_OVER_EMBED:.0f}x",
        None,
    )
    return rows


def _tuning_cells(tuning: dict[str, Any] | None) -> tuple[str, str]:
    if not tuning:
        return "off", ""
    if tuning["reused"]:
        return "reused", ""
    return (
        f"{tuning['seconds']:.0f} ({tuning['pairs']}, {tuning['steps']})",
        f"{tuning['peak_rss_mib']:.0f}",
    )


def print_tables(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 140))
    m = results["machine"]
    console.print(
        f"[bold]specqa bench[/] · {m['date']} · {m['nproc']} cores · {m['cpu_model']} · "
        f"{m['mem_total_gib']} GiB · embeddings: {m['embed_backend']}, {m['embed_threads']} thread(s) · torch {m.get('torch')} · onnxruntime {m.get('onnxruntime')} · commit {m.get('git_commit')}"
        + (" · [yellow]--quick[/]" if results["quick"] else "")
    )

    ing = results["ingest"]
    table = Table(title="ingest (fresh index and embedding cache each; `specqa ingest --json`)")
    for column in (
        "run",
        "pipeline s",
        "wall s",
        "chunks",
        "embedded",
        "reused",
        "tuning s (pairs, steps)",
        "tuning peak RSS MiB",
    ):
        table.add_column(column, justify="left" if column == "run" else "right")
    for name in ("newest", "all_five", "noop"):
        if name in ing:
            r = ing[name]
            table.add_row(
                name.replace("_", " ")
                + (f" ({ing['newest_release']})" if name == "newest" else ""),
                f"{r['pipeline_s']:.1f}",
                f"{r['wall_s']:.1f}",
                str(r["chunks"]),
                str(r["embedded"]),
                str(r["reused"]),
                *_tuning_cells(r.get("tuning")),
            )
    console.print(table)

    table = Table(
        title="warm HTTP latency (real loopback HTTP, varied questions, extractive answers)"
    )
    for column in (
        "endpoint",
        "conc.",
        "requests",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "req/s",
        "noise: p50 / req/s per round",
        "errors",
    ):
        table.add_column(
            column,
            justify="left" if column in ("endpoint", "noise: p50 / req/s per round") else "right",
        )
    for kind in ("search", "answer"):
        for level in LEVELS:
            r = results["http"][kind][str(level)]
            noise = ", ".join(f"{x['p50_ms']:.0f}/{x['throughput_rps']:.0f}" for x in r["rounds"])
            table.add_row(
                f"/v1/{kind}",
                str(level),
                str(r["requests"]),
                f"{r['p50_ms']:.1f}",
                f"{r['p95_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                f"{r['throughput_rps']:.1f}",
                noise,
                str(r["errors"]),
            )
    console.print(table)

    ip = results["in_process"]
    table = Table(
        title=f"in-process, server stopped, n={ip['n']} questions, release {ip['release']}"
    )
    for column in ("step", "p50 ms", "p95 ms", "p99 ms", "mean ms"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for name, label in (
        ("embed_query", "one query embedding"),
        ("hybrid_search", "HybridRetriever.search (k=5+3)"),
        ("naive_search", "NaiveRetriever.rank_sections (baseline)"),
        ("extractive_answer", "AnsweringService.answer (extractive)"),
    ):
        v = ip[name]
        table.add_row(
            label, f"{v['p50']:.1f}", f"{v['p95']:.1f}", f"{v['p99']:.1f}", f"{v['mean']:.1f}"
        )
    console.print(table)
    console.print(
        f"hybrid / naive search latency: p50 {ip['hybrid_over_naive_p50']}x, p95 {ip['hybrid_over_naive_p95']}x · "
        f"in-process answer / embedding p50: {ip['answer_over_embed_p50']}x"
    )

    cs = results["cold_start"]
    console.print(
        f"cold start to ready: median {cs['median_s']:.2f} s (runs: {', '.join(f'{x:.2f}' for x in cs['runs_s'])}) · "
        f"peak RSS {results['rss']['peak_bytes'] / 2**20:.0f} MiB"
    )

    table = Table(title="issue 7 targets")
    for column in ("target", "value", "goal", "result"):
        table.add_column(column, justify="left" if column in ("target", "goal") else "right")
    for row in results["targets"]:
        verdict = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[dim]info[/]"}[row["pass"]]
        table.add_row(row["target"], str(row["value"]), row["goal"], verdict)
    console.print(table)
    act = results["activity"]
    console.print(
        f"load average before {act['before']['loadavg']} after {act['after']['loadavg']}; "
        f"other busy processes before: {len(act['before']['busy_processes'])}, "
        f"after: {len(act['after']['busy_processes'])} · total {results['total_s']:.0f} s"
    )


# --- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="specqa benchmark (see the module docstring).")
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_OUT,
        help=f"Output (default {DEFAULT_OUT.relative_to(REPO)}).",
    )
    parser.add_argument(
        "--quick", action="store_true", help="Fewer requests, no newest-alone ingest."
    )
    parser.add_argument(
        "--spec-dir",
        type=Path,
        default=None,
        help="Default: SPECQA_SPEC_DIR or ../shared/model-spec.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary indexes.")
    args = parser.parse_args(argv)

    spec_dir = args.spec_dir or Path(
        os.environ.get("SPECQA_SPEC_DIR") or REPO.parent / "shared" / "model-spec"
    )
    if not (spec_dir / f"model_spec-{newest_release()}.md").exists():
        raise SystemExit(f"no releases in {spec_dir}: set SPECQA_SPEC_DIR or pass --spec-dir")
    questions = load_questions()
    per_level = 48 if args.quick else len(questions)
    rounds = 1 if args.quick else 2
    cold_runs = 1 if args.quick else 3

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": machine_info(),
        "quick": args.quick,
        "spec_dir": str(spec_dir),
    }
    results["activity"] = {"before": activity()}
    phases: dict[str, list[float]] = {}
    work = Path(tempfile.mkdtemp(prefix="specqa-bench-"))
    try:
        newest = newest_release()
        ing: dict[str, Any] = {"newest_release": newest}
        if not args.quick:
            log(f"ingest: {newest} alone into a fresh index ...")
            ing["newest"] = ingest_cli(work / "newest", spec_dir, [newest])
        log("ingest: all five releases into a fresh index ...")
        ing["all_five"] = ingest_cli(work / "all", spec_dir)
        if not args.quick:
            log("ingest: no-op re-ingest ...")
            ing["noop"] = ingest_cli(work / "all", spec_dir)
            ing["ratio_pipeline"] = _ratio(
                ing["all_five"]["pipeline_s"], ing["newest"]["pipeline_s"]
            )
            ing["ratio_wall"] = _ratio(ing["all_five"]["wall_s"], ing["newest"]["wall_s"])
        results["ingest"] = ing
        phases["after_ingest"] = list(os.getloadavg())

        cold: list[float] = []
        for _ in range(cold_runs - 1):
            with spawn_server(work / "all") as server:
                cold.append(server.ready_s)
        with spawn_server(work / "all") as server:
            cold.append(server.ready_s)
            log(f"cold start(s): {', '.join(f'{x:.2f} s' for x in cold)}; warming up ...")
            warm_up(server.url, questions)
            log(f"HTTP: {per_level} requests per level x {rounds} round(s) ...")
            results["http"] = http_levels(server.url, questions, per_level, rounds, log)
            results["rss"] = peak_rss(server.process.pid)
            results["server_survived"] = server.process.poll() is None
        results["cold_start"] = {
            "runs_s": [round(x, 2) for x in cold],
            "median_s": round(statistics.median(cold), 2),
        }
        phases["after_http"] = list(os.getloadavg())

        log("in-process: embedding, hybrid vs naive search, extractive answer ...")
        chosen = questions if not args.quick else questions[:48]
        results["in_process"] = in_process(work / "all", spec_dir, chosen)
        phases["after_in_process"] = list(os.getloadavg())
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results["activity"]["after"] = activity()
    results["activity"]["loadavg_by_phase"] = phases
    results["targets"] = targets(results)
    results["total_s"] = round(time.perf_counter() - started, 1)
    print_tables(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Speed and memory of qa next to the LangChain tutorial pipeline, on this machine, in one run.

    python benchmarks/bench_answer.py [--docs 1000] [--questions 200] [--cold-runs 3]

Measures, for both systems (see benchmarks/tutorial.py for the baseline):
  - indexing throughput (chunks/s), against raw SentenceTransformer.encode on the same chunk
    texts (and raw ONNX Runtime encode, at batch sizes 32 and 64), and peak RSS, for 1 (the
    bundled article), 100 and --docs documents;
  - warm answer latency p50/p95 over --questions questions, on the article and on --docs docs
    (ours: a full cited answer; the tutorial: its bare top-4 similarity search);
  - cold start: `qa ask "Which leaders did Putin call?"` from process start to printed answer,
    after the one-time ONNX export (`python -m index.onnx_encoder`, as `make install` runs it,
    into a cache folder of the run's own, so that no word vectors are known beforehand),
    and the time Python takes just to import chromadb and langchain_core's retrievers;
  - the `qa serve` server's RSS when idle, and the memory of the BM25 side.
Each measurement runs in its own process so that peak RSS belongs to it. Prints a table, then
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HEADLINE = "Which leaders did Putin call?"
ARTICLE = ROOT / "qa" / "data" / "article.txt"
WIKI = ROOT / "tests" / "data" / "wiki"
EVAL = ROOT / "tests" / "eval"
QA = Path(sys.executable).with_name("qa")


# corpora


def make_corpus(folder: Path, count: int) -> Path:
    """count documents of three Wikipedia paragraphs each, each document different."""
    paragraphs = [
        part.strip()
        for path in sorted(WIKI.glob("*.txt"))
        for part in path.read_text(encoding="utf-8").split("\n\n")
        if len(part.strip()) > 80
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        picked = [paragraphs[(n * 3 + i) % len(paragraphs)] for i in range(3)]
        text = f"Note {n}.\n\n" + "\n\n".join(picked)
        (folder / f"note{n:04d}.txt").write_text(text, encoding="utf-8")
    return folder


def questions(name: str, count: int) -> list[str]:
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    asked = [json.loads(line)["question"] for line in lines if line.strip()]
    return [asked[i % len(asked)] for i in range(count)]


# workers (each in a fresh process)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_encode_rate(encode: Any, texts: list[str], batch_size: int = 64) -> float:
    """Chunks per second of one encode call over texts (after a small warm-up call)."""
    encode(texts[:2], batch_size=batch_size)
    started = time.perf_counter()
    encode(texts, batch_size=batch_size)
    return len(texts) / (time.perf_counter() - started)


def st_encode(model: Any) -> Any:
    def encode(texts: list[str], batch_size: int) -> Any:
        return model.encode(texts, batch_size=batch_size, show_progress_bar=False)

    return encode


def index_ours(store_dir: Path, source: Path) -> dict[str, Any]:
    from index import Embedder, Store, index_paths, open_client
    from index.scan import live_chunks

    embedder = Embedder()
    embedder.encode(["warm up"])
    store = Store(open_client(store_dir))
    started = time.perf_counter()
    report = index_paths(store, embedder, [source])
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()  # before sentence-transformers is loaded for the comparison below
    torch_used = "torch" in sys.modules
    texts = [chunk.text for chunk in live_chunks(store)]
    figures = {
        "engine": embedder.backend,
        "torch_loaded": torch_used,
        "chunks": report.chunks,
        "seconds": seconds,
        "chunks_per_s": report.chunks / seconds,
        "peak_rss_mb": peak,
    }
    if embedder.onnx is not None:
        for size in (32, 64):
            figures[f"raw_onnx_bs{size}_chunks_per_s"] = raw_encode_rate(
                embedder.onnx.encode, texts, size
            )
    model = Embedder(engine="torch").model
    for size in (32, 64):
        figures[f"raw_st_bs{size}_chunks_per_s"] = raw_encode_rate(st_encode(model), texts, size)
    figures["raw_encode_chunks_per_s"] = figures["raw_st_bs64_chunks_per_s"]
    return figures


def index_tutorial(store_dir: Path, source: Path) -> dict[str, Any]:
    from benchmarks import tutorial

    embeddings = tutorial.MiniLM()
    embeddings.embed_query("warm up")
    paths = sorted(source.glob("*.txt")) if source.is_dir() else [source]
    started = time.perf_counter()
    chunks = tutorial.index(store_dir, paths, embeddings)
    seconds = time.perf_counter() - started
    texts = [document.page_content for document in tutorial.split(paths)]
    return {
        "chunks": chunks,
        "seconds": seconds,
        "chunks_per_s": chunks / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "raw_encode_chunks_per_s": raw_encode_rate(st_encode(embeddings.model), texts, 32),
    }


def latencies(ask: Any, asked: list[str]) -> dict[str, float]:
    for question in asked[:5]:
        ask(question)
    timings = []
    for question in asked:
        started = time.perf_counter()
        ask(question)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
    }


def warm_ours(store_dir: Path, asked: list[str]) -> dict[str, Any]:
    from qa import build_assistant
    from qa.retrieval import HybridSearch

    assistant = build_assistant(data_dir=store_dir, bundled=False)
    assistant.embedder.encode(["warm up"])
    HybridSearch(assistant.library, assistant.embedder).view()  # imports, caches
    tracemalloc.start()
    view = HybridSearch(assistant.library, assistant.embedder).view()
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures = latencies(assistant.ask, asked)
    return {**figures, "bm25_corpus_mb": peak / 2**20, "chunks": view.lexicon.n}


def warm_tutorial(store_dir: Path, asked: list[str]) -> dict[str, Any]:
    from benchmarks import tutorial

    store = tutorial.open_store(store_dir)
    return latencies(lambda question: tutorial.search(store, question), asked)


def worker(argv: list[str]) -> None:
    kind, system, store_dir, rest = argv[0], argv[1], Path(argv[2]), argv[3:]
    if kind == "index":
        run = index_ours if system == "ours" else index_tutorial
        result = run(store_dir, Path(rest[0]))
    else:
        asked = json.loads(Path(rest[0]).read_text(encoding="utf-8"))
        result = (warm_ours if system == "ours" else warm_tutorial)(store_dir, asked)
    print(json.dumps(result))


def in_worker(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker {args[:2]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# whole-process measurements

IMPORTS = "import chromadb, langchain_core.retrievers, numpy, onnxruntime, tokenizers; print(1)"


def ensure_onnx() -> float:
    """Seconds to make the ONNX export (as `make install` does); ~1 s when it is cached."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "index.onnx_encoder"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        print(f"no ONNX export, qa falls back to torch:\n{done.stderr[-2000:]}", file=sys.stderr)
    return round(time.perf_counter() - started, 2)


def cold_start(command: list[str], runs: int) -> float:
    """Median seconds from process start to the printed answer."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0 or not done.stdout.strip():
            raise RuntimeError(f"{command} failed:\n{done.stderr[-2000:]}")
    return statistics.median(times)


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its children, from /proc."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(
                next(ln for ln in status.splitlines() if ln.startswith("VmRSS")).split()[1]
            )
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        pids.extend(int(child) for child in children)
    return total / 1024


def idle_server_rss(store_dir: Path) -> float:
    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "QA_DATA_DIR": str(store_dir), "QA_BUNDLED": "false"}
    proc = subprocess.Popen(
        [str(QA), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("`qa serve` exited during start-up") from None
                time.sleep(0.3)
        time.sleep(5)
        return tree_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# the report


def ratio(ours: float, theirs: float) -> float:
    return round(ours / theirs, 3) if theirs else float("nan")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="size of the big corpus")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "docs": args.docs,
        "questions": args.questions,
        "cpus": os.cpu_count(),
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        work = Path(tmp)
        # a cache of our own, as on a fresh machine: the ONNX export is made again and no
        # word vectors are known before the first indexing
        os.environ["XDG_CACHE_HOME"] = str(work / "cache")
        results["onnx_export_s"] = ensure_onnx()
        sources = {
            "1": ARTICLE,
            "100": make_corpus(work / "docs100", 100),
            str(args.docs): make_corpus(work / f"docs{args.docs}", args.docs),
        }
        stores: dict[tuple[str, str], Path] = {}
        indexing: dict[str, Any] = {}
        for size, source in sources.items():
            for system in ("ours", "tutorial"):
                stores[system, size] = work / f"{system}-{size}"
                figures = in_worker("index", system, str(stores[system, size]), str(source))
                indexing[f"{system}_{size}"] = figures
                print(f"indexed {size} docs with {system}: {figures}", file=sys.stderr)
        results["indexing"] = indexing

        warm: dict[str, Any] = {}
        for corpus, size, asked in (
            ("article", "1", questions("article.jsonl", args.questions)),
            (f"docs{args.docs}", str(args.docs), questions("wiki.jsonl", args.questions)),
        ):
            listed = work / f"questions-{corpus}.json"
            listed.write_text(json.dumps(asked), encoding="utf-8")
            for system in ("ours", "tutorial"):
                figures = in_worker("warm", system, str(stores[system, size]), str(listed))
                warm[f"{system}_{corpus}"] = figures
                print(f"warm {corpus} with {system}: {figures}", file=sys.stderr)
        results["warm"] = warm

        ours_cold = [str(QA), "--data-dir", str(stores["ours", "1"]), "ask", HEADLINE]
        theirs_cold = [
            sys.executable,
            str(ROOT / "benchmarks" / "tutorial.py"),
            "ask",
            str(stores["tutorial", "1"]),
            HEADLINE,
        ]
        results["cold_start_s"] = {
            "ours": cold_start(ours_cold, args.cold_runs),
            "tutorial": cold_start(theirs_cold, args.cold_runs),
            "imports_only": cold_start([sys.executable, "-c", IMPORTS], args.cold_runs),
        }
        results["serve_idle_rss_mb"] = idle_server_rss(stores["ours", "1"])
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    results["ratios"] = ratios(results, str(args.docs))
    print(table(results, str(args.docs)))
    print(json.dumps(results, sort_keys=True))


def ratios(results: dict[str, Any], big: str) -> dict[str, float]:
    warm, index, cold = results["warm"], results["indexing"], results["cold_start_s"]
    out = {
        "warm_p50_article": ratio(
            warm["ours_article"]["p50_ms"], warm["tutorial_article"]["p50_ms"]
        ),
        "warm_p95_article": ratio(
            warm["ours_article"]["p95_ms"], warm["tutorial_article"]["p95_ms"]
        ),
        f"warm_p50_docs{big}": ratio(
            warm[f"ours_docs{big}"]["p50_ms"], warm[f"tutorial_docs{big}"]["p50_ms"]
        ),
        f"warm_p95_docs{big}": ratio(
            warm[f"ours_docs{big}"]["p95_ms"], warm[f"tutorial_docs{big}"]["p95_ms"]
        ),
        "cold_start": ratio(cold["ours"], cold["tutorial"]),
    }
    for size in dict.fromkeys(("1", "100", big)):
        ours = index[f"ours_{size}"]
        out[f"index_vs_raw_encode_{size}"] = ratio(
            ours["chunks_per_s"], ours["raw_encode_chunks_per_s"]
        )
        out[f"index_chunks_per_s_vs_tutorial_{size}"] = ratio(
            ours["chunks_per_s"], index[f"tutorial_{size}"]["chunks_per_s"]
        )
        out[f"index_peak_rss_vs_tutorial_{size}"] = ratio(
            ours["peak_rss_mb"], index[f"tutorial_{size}"]["peak_rss_mb"]
        )
    return out


def table(results: dict[str, Any], big: str) -> str:
    warm, index, cold = results["warm"], results["indexing"], results["cold_start_s"]
    rows = [("measure", "qa", "tutorial", "ratio", "target")]
    for corpus in ("article", f"docs{big}"):
        for q in ("p50", "p95"):
            ours, theirs = warm[f"ours_{corpus}"][f"{q}_ms"], warm[f"tutorial_{corpus}"][f"{q}_ms"]
            target = "<= 0.5" if q == "p50" else ""
            rows.append(
                (
                    f"warm {q} ms, {corpus}",
                    f"{ours:.1f}",
                    f"{theirs:.1f}",
                    f"{ratio(ours, theirs)}",
                    target,
                )
            )
    rows.append(
        (
            "cold start s, qa ask",
            f"{cold['ours']:.2f}",
            f"{cold['tutorial']:.2f}",
            f"{ratio(cold['ours'], cold['tutorial'])}",
            "<= 0.25",
        )
    )
    rows.append(
        ("  python importing chromadb, langchain", f"{cold['imports_only']:.2f}", "", "", "")
    )
    for size in dict.fromkeys(("1", "100", big)):
        ours, theirs = index[f"ours_{size}"], index[f"tutorial_{size}"]
        rows.append(
            (
                f"index chunks/s, {size} docs",
                f"{ours['chunks_per_s']:.0f}",
                f"{theirs['chunks_per_s']:.0f}",
                f"{ratio(ours['chunks_per_s'], theirs['chunks_per_s'])}",
                "",
            )
        )
        rows.append(
            (
                f"  vs raw encode, {size} docs",
                f"{ours['raw_encode_chunks_per_s']:.0f}",
                "",
                f"{ratio(ours['chunks_per_s'], ours['raw_encode_chunks_per_s'])}",
                ">= 0.8",
            )
        )
        if "raw_onnx_bs64_chunks_per_s" in ours:
            rows.append(
                (
                    f"  raw ONNX encode, {size} docs",
                    f"{ours['raw_onnx_bs64_chunks_per_s']:.0f}",
                    "",
                    f"{ratio(ours['raw_onnx_bs64_chunks_per_s'], ours['raw_encode_chunks_per_s'])}",
                    "",
                )
            )
        rows.append(
            (
                f"index peak RSS MB, {size} docs",
                f"{ours['peak_rss_mb']:.0f}",
                f"{theirs['peak_rss_mb']:.0f}",
                f"{ratio(ours['peak_rss_mb'], theirs['peak_rss_mb'])}",
                "",
            )
        )
    rows.append(("qa serve idle RSS MB", f"{results['serve_idle_rss_mb']:.0f}", "", "", "<= 600"))
    bm25 = warm[f"ours_docs{big}"]
    rows.append(
        (f"BM25 + chunks MB, {bm25['chunks']} chunks", f"{bm25['bm25_corpus_mb']:.1f}", "", "", "")
    )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


if __name__ == "__main__":
    main()

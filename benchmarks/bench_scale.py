"""Scale: cold start, RSS, warm latency and indexing rate at 1k / 10k / 100k chunks, on a local
store and on a `chroma run` server, against the same figures on the bundled article.

Usage: python benchmarks/bench_scale.py [--sizes 1000 10000 100000] [--backends local server]

The corpus is the repo's real text (tests/data/wiki and the bundled article) in ~600-character
passages, repeated, each chunk with a numbered word of its own, 50 chunks a source. The neural
encoder is not run per chunk: each distinct passage and sentence is encoded once and its
vectors are written straight to the store for every copy, so the answers are not scored. The
chunks' words are saved as `qa index` saves them, in a cache folder of the benchmark's own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PER_SOURCE = 50
QA = str(Path(sys.executable).with_name("qa"))
COLD_RUNS = 3
HEADLINE = "Which leaders did Putin call?"

from benchmarks.lexical_options import passages  # noqa: E402 - after the path is set


def questions() -> list[str]:
    asked = []
    for name in ("article-dev", "wiki"):
        for line in (ROOT / "tests/eval" / f"{name}.jsonl").read_text().splitlines():
            if line.strip():
                asked.append(json.loads(line)["question"])
    return list(dict.fromkeys(asked))[:40]


class Vectors:
    """Each distinct text's vector, encoded once by the bundled model."""

    def __init__(self) -> None:
        from index import Embedder

        self.embedder = Embedder()
        self.known: dict[str, Any] = {}

    def learn_words(self, texts: list[str]) -> None:
        """Save the texts' new words, as `qa index` does, so answering looks them up."""
        self.embedder.words.learn(texts)

    def __call__(self, texts: list[str]) -> list[Any]:
        new = [t for t in dict.fromkeys(texts) if t not in self.known]
        if new:
            self.known.update(zip(new, self.embedder.encode(new), strict=True))
        return [self.known[t] for t in texts]


def build(store: Any, size: int, base: list[str], vectors: Vectors) -> float:
    """Write size chunks, PER_SOURCE a source, straight to the store; seconds taken."""
    import numpy as np

    from index.chunking import Chunk, split_sentences
    from index.loading import SourceDocument
    from index.records import Write

    started, writes = time.perf_counter(), []
    for first in range(0, size, PER_SOURCE):
        texts = [f"{base[j % len(base)]} n{j}" for j in range(first, min(size, first + PER_SOURCE))]
        text, chunks, spans, at = "\n\n".join(texts), [], [], 0
        for chunk_text in texts:
            sentences = tuple(split_sentences(text, at, at + len(chunk_text)))
            chunks.append(Chunk(chunk_text, at, at + len(chunk_text), sentences))
            # the numbered word ends the last sentence: it is left out of what is encoded
            spans.append([re.sub(r" n\d+$", "", text[s:e]) for s, e in sentences])
            at += len(chunk_text) + 2
        document = SourceDocument(f"page{first // PER_SOURCE:05d}.txt", "", text)
        vectors.learn_words(texts)
        chunk_vectors = vectors([base[j % len(base)] for j in range(first, first + len(texts))])
        sentence_vectors = [np.stack(vectors(s)) for s in spans]
        writes.append(Write(document, tuple(chunks), chunk_vectors, False, sentence_vectors))
        if len(writes) * PER_SOURCE >= 1000:
            store.write_many(writes)
            writes = []
    if writes:
        store.write_many(writes)
    return time.perf_counter() - started


def environment(where: list[str]) -> dict[str, str]:
    """The environment of a `qa` child: offline; the bundled article only for its own store."""
    bundled = "--collection" not in where
    return {**os.environ, "HF_HUB_OFFLINE": "1", "QA_BUNDLED": str(bundled).lower()}


def qa(where: list[str], *args: str) -> float:
    """Run `qa <where> <args>`; its wall seconds."""
    env = environment(where)
    started = time.perf_counter()
    run = subprocess.run([QA, *where, *args], capture_output=True, text=True, env=env, timeout=900)
    if run.returncode != 0:
        raise SystemExit(f"qa {' '.join(args)} failed: {run.stderr[-500:]}")
    return time.perf_counter() - started


def cold(where: list[str]) -> float:
    """Median wall time of a fresh `qa ask` process, over COLD_RUNS runs after one not
    counted (a server may still be settling the build's writes)."""
    qa(where, "ask", HEADLINE)
    return statistics.median(qa(where, "ask", HEADLINE) for _ in range(COLD_RUNS))


def private_cache(folder: Path) -> Path:
    """A cache folder of the benchmark's own, with the user's model exports linked in but
    not their word vectors: the corpus's words go there, not into the user's cache."""
    from index.onnx_encoder import default_cache_dir

    own = folder / "cache"
    for export in default_cache_dir().glob("*/*.onnx"):
        linked = own / "qa" / "onnx" / export.parent.name / export.name
        linked.parent.mkdir(parents=True, exist_ok=True)
        linked.symlink_to(export)
    return own


def child_rss(where: list[str]) -> float:
    """Peak RSS (MB) of one `qa ask` run, as the child itself counts it."""
    env = environment(where)
    code = (
        "import sys\n"
        "from qa.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        # VmHWM: ru_maxrss would count the RSS of this (big) process that forked the child
        "peak = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print(int(peak) / 1024, file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, *where, "ask", HEADLINE],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    return float(run.stderr.strip().splitlines()[-1])


def warm(settings: dict[str, Any]) -> dict[str, float]:
    """Warm p50/p95 of an answering process of its own, as `qa serve` is: not this one, whose
    heap (every distinct passage's vectors) would slow Python's garbage collection."""
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in settings.items()}
    run = subprocess.run(
        [sys.executable, __file__, "--warm", json.dumps(settings)],
        capture_output=True, text=True, env=environment([]), timeout=900,
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"warm answers failed: {run.stderr[-500:]}")
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def answer_warm(settings: dict[str, Any], asked: list[str]) -> dict[str, float]:
    """In the warm child: warm up as `qa serve` does and answer five questions, then time
    every question once."""
    from qa import build_assistant

    assistant = build_assistant(**{**settings, "data_dir": Path(settings["data_dir"])})
    assistant.warm()
    for question in asked[:5]:
        assistant.ask(question)
    timings = []
    for question in asked:
        started = time.perf_counter()
        assistant.ask(question)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    assistant.library.close()
    return {
        "warm_p50_ms": statistics.median(timings),
        "warm_p95_ms": timings[round(0.95 * (len(timings) - 1))],
    }


def one_more_file(where: list[str], folder: Path, base: list[str]) -> float:
    """Seconds for `qa index` of one more 20-chunk file (encoder included)."""
    path = folder / "one-more.txt"
    path.write_text("\n\n".join(f"{base[(7 * j) % len(base)]} extra{j}" for j in range(20)))
    return qa(where, "index", str(path))


def settle(server: subprocess.Popen[bytes], idle: float = 0.1, most: float = 300.0) -> None:
    """Wait (up to most seconds) until the Chroma server uses under idle cores: after a bulk
    build it goes on applying the writes for a while, and a warm figure then measures that."""
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        before = cpu()
        time.sleep(2.0)
        if cpu() - before < idle * 2.0:
            return


def measure(backend: str, size: int, folder: Path, server: subprocess.Popen[bytes] | None,
            url: str, base: list[str], vectors: Vectors) -> dict[str, Any]:  # fmt: skip
    from index import open_store

    collection = f"scale{size}"
    data = folder / f"{backend}-{size}"
    where = ["--data-dir", str(data), "--collection", collection]
    settings: dict[str, Any] = {"data_dir": data, "collection": collection, "bundled": False}
    if backend == "server":
        where += ["--chroma-url", url]
        settings["chroma_url"] = url
    row: dict[str, Any] = {"backend": backend, "chunks": size}
    if size:
        store = open_store(data, url if backend == "server" else None, collection)
        seconds = build(store, size, base, vectors)
        store.close()
        row["index_chunks_per_s"] = round(size / seconds)
    else:  # the bundled article, indexed by qa itself
        where = [w for w in where if w not in ("--collection", collection)]
        settings = {k: v for k, v in settings.items() if k not in ("collection", "bundled")}
        qa(where, "sources")
    row["cold_s"] = cold(where)
    row["rss_mb"] = child_rss(where)
    if server is not None:
        settle(server)
    row.update(warm(settings))
    row["one_more_file_s"] = one_more_file(where, folder, base)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--backends", nargs="+", default=["local", "server"])
    parser.add_argument("--warm", help=argparse.SUPPRESS)  # the warm child's settings (JSON)
    args = parser.parse_args()
    if args.warm:
        print(json.dumps(answer_warm(json.loads(args.warm), questions())))
        return
    from tests.index.conftest import start_chroma
    from tests.servers import stop

    folder = Path(tempfile.mkdtemp(prefix="qa-scale-"))
    os.environ["XDG_CACHE_HOME"] = str(private_cache(folder))  # for the children too
    base, vectors = passages(), Vectors()
    server = None
    rows = []
    try:
        url = ""
        if "server" in args.backends:
            server, url = start_chroma(folder / "server")
        for backend in args.backends:
            for size in [0, *args.sizes]:
                host = server if backend == "server" else None
                row = measure(backend, size, folder, host, url, base, vectors)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)
    print(json.dumps({"scale": rows}))


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"\nScale ({len(passages())} real passages repeated, {PER_SOURCE} chunks a source; "
        "vectors written straight to the store, each distinct text encoded once: answers not "
        "scored; 0 chunks = the bundled article, indexed by qa)"
    )
    head = ("back end", "chunks", "cold `qa ask` s", "RSS MB", "warm p50 ms", "warm p95 ms",
            "index chunks/s", "`qa index` one more file s")  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for r in rows:
        cells = (r["backend"], r["chunks"] or "article", f"{r['cold_s']:.2f}", f"{r['rss_mb']:.0f}",
                 f"{r['warm_p50_ms']:.0f}", f"{r['warm_p95_ms']:.0f}",
                 r.get("index_chunks_per_s", "—"), f"{r['one_more_file_s']:.2f}")  # fmt: skip
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()

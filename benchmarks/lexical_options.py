"""Issue 17: on-disk lexical index candidates at 1k/10k/100k chunks, measured against qa's BM25."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from qa.lexical import BM25, terms

ROOT = Path(__file__).resolve().parents[1]
K1, B, K = 1.2, 0.75, 20  # qa.lexical.BM25's defaults; HybridSearch draws 20 candidates
PER_SOURCE, REMOVED = 20, "doc00001.txt"  # chunks per synthetic source file; the one removed
Chunk = tuple[str, str, int, tuple[str, ...]]  # chunk id, source, start, terms()
Hits = list[tuple[str, float]]  # (chunk id, score), best first
lib = importlib.import_module  # bm25s and tantivy live outside .venv, in --pkgs
JSON_LIST = "(select value from json_each(?))"  # a list bound as one JSON parameter


def passages(size: int = 600) -> list[str]:
    """The repo's real text (wiki test data and the bundled article) in ~size-char passages."""
    files = [*sorted((ROOT / "tests/data/wiki").glob("*.txt")), ROOT / "qa/data/article.txt"]
    out: list[str] = []
    for path in files:
        buf = ""
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(path.read_text().split())):
            if buf and len(buf) + len(sentence) > size:
                out, buf = [*out, buf], ""
            buf = f"{buf} {sentence}".strip()
        out += [buf] if buf else []
    return out


def corpus(n: int, base: list[str], name: str = "doc", word: str = "n") -> list[Any]:
    """n chunks of the passages over and over, each with a numbered word of its own."""
    rows = [(f"{name}{j // PER_SOURCE:05d}.txt", j % PER_SOURCE, j) for j in range(n)]
    step = 1 if name == "doc" else 7  # the added file: other passages in another order
    return [(f"{s}#{i}", s, i, f"{base[(j * step) % len(base)]} {word}{j}") for s, i, j in rows]


def questions(limit: int = 300) -> list[str]:
    files = sorted((ROOT / "tests/eval").glob("*.jsonl"))
    asked = [json.loads(line)["question"] for f in files for line in f.open() if line.strip()]
    return list(dict.fromkeys(q for q in asked if terms(q)))[:limit]


class Candidate:
    """build(chunks), add(chunks), remove(source), open() a reader, top(terms, k), leftover."""

    name, exact_scores = "", False  # exact_scores: comparable with qa.lexical.BM25's, bit for bit

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def leftover(self, probe: list[str]) -> int:  # postings still held for a removed source's words
        return 0

    def add(self, chunks: list[Chunk]) -> None:  # the default: no incremental update, a rebuild
        self.build([*self.chunks, *chunks])  # type: ignore[attr-defined]

    def remove(self, source: str) -> None:
        self.build([c for c in self.chunks if c[1] != source])  # type: ignore[attr-defined]


class Memory(Candidate):
    """Today: every process reads every chunk's text and builds qa.lexical.BM25 in memory."""

    name, exact_scores = "memory BM25 (today)", True

    def build(self, chunks: list[Chunk]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.chunks = sorted(chunks, key=lambda c: (c[1], c[2]))  # Store.live_chunks's order
        got = [[c[0], self.texts[c[0]]] for c in self.chunks]
        (self.folder / "chunks.json").write_text(json.dumps(got))  # stands in for Chroma
        self.open()

    def open(self) -> None:
        got = json.loads((self.folder / "chunks.json").read_text())
        self.ids, self.bm25 = [cid for cid, _ in got], BM25(text for _, text in got)

    def top(self, query: list[str], k: int) -> Hits:
        return [(self.ids[i], s) for i, s in self.bm25.top(query, k)]


class Postings(Candidate):
    """SQLite (WAL) tables of raw (term, chunk, tf, length) and stats; our formula at query."""

    name, exact_scores = "sqlite postings (ours)", True
    SCHEMA = """
        create table chunk(id integer primary key, cid text unique, source text, start int,
            length int, terms blob); create index chunk_source on chunk(source);
        create table term(id integer primary key, term text unique);
        create table stats(n int, total int); insert into stats values (0, 0);
        create table posting(tid int, chunk int, tf int, length int, primary key (tid, chunk))
            without rowid;"""
    FINISH = ""

    def build(self, chunks: list[Chunk]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.open()
        self.db.executescript(self.SCHEMA)
        self.add(chunks)
        self.db.executescript(self.FINISH + "pragma wal_checkpoint(truncate);")

    def open(self) -> None:
        self.db = sqlite3.connect(self.folder / "lexical.sqlite3", isolation_level=None)
        self.db.execute("pragma journal_mode=wal")  # readers never block the one writer

    def add(self, chunks: list[Chunk]) -> None:
        db = self.db
        db.execute("begin immediate")
        distinct = sorted({t for c in chunks for t in c[3]})
        db.executemany("insert or ignore into term(term) values (?)", [(t,) for t in distinct])
        find = "select id from term where term = ?"
        ids = {t: db.execute(find, (t,)).fetchone()[0] for t in distinct}
        rows, posts, first = [], [], db.execute("select coalesce(max(id), 0) + 1 from chunk")
        for row, (cid, source, start, toks) in enumerate(chunks, first.fetchone()[0]):
            counts = Counter(toks)
            rows.append((row, cid, source, start, len(toks), array("i", map(ids.get, counts))))
            posts += [(ids[t], row, tf, len(toks)) for t, tf in counts.items()]
        db.executemany("insert into chunk values (?, ?, ?, ?, ?, ?)", rows)
        db.executemany("insert into posting values (?, ?, ?, ?)", sorted(posts))
        total = sum(r[4] for r in rows)
        db.execute("update stats set n = n + ?, total = total + ?", (len(rows), total))
        db.execute("commit")

    def remove(self, source: str) -> None:
        db = self.db
        db.execute("begin immediate")
        sql = "select id, length, terms from chunk where source = ?"
        gone = db.execute(sql, (source,)).fetchall()
        pairs = [(t, row) for row, _, blob in gone for t in array("i", blob)]
        db.executemany("delete from posting where tid = ? and chunk = ?", pairs)
        db.execute("delete from chunk where source = ?", (source,))
        total = sum(g[1] for g in gone)
        db.execute("update stats set n = n - ?, total = total - ?", (len(gone), total))
        db.execute("commit")

    def leftover(self, probe: list[str]) -> int:
        sql = f"select count(*) from posting join term on id = tid where term in {JSON_LIST}"
        return int(self.db.execute(sql, (json.dumps(probe),)).fetchone()[0])

    def top(self, query: list[str], k: int) -> Hits:
        db = self.db
        db.execute("begin")  # one snapshot: stats, postings and keys agree
        n, total = db.execute("select n, total from stats").fetchone()
        avg = total / n if n else 1.0
        sql = "select chunk, tf, length from posting join term on id = tid where term = ?"
        found = [db.execute(sql, (t,)).fetchall() for t in dict.fromkeys(query)]
        parts = [np.array(rows, dtype=np.int64) for rows in found if rows]  # (chunk, tf, length)
        scores = np.zeros(max([int(p[:, 0].max()) + 1 for p in parts], default=0))
        for p in parts:  # the same float operations, in the same order, as BM25.top
            idf = math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5))
            tf, length = p[:, 1], p[:, 2].astype(np.float64)
            scores[p[:, 0]] += idf * (tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avg)))
        values = scores[hits := np.flatnonzero(scores > 0)]
        if len(hits) > k:  # every text tied with the k-th best stays, for the tie order
            keep = values >= np.partition(values, len(values) - k)[len(values) - k]
            hits, values = hits[keep], values[keep]
        sql = f"select id, source, start, cid from chunk where id in {JSON_LIST}"
        keys = {r[0]: r[1:] for r in db.execute(sql, (json.dumps(hits.tolist()),))}
        db.execute("commit")
        # equal scores go by (source, start): the doc index order of Store.live_chunks + BM25
        pairs = zip(values.tolist(), hits.tolist(), strict=True)
        ranked = sorted(pairs, key=lambda v: (-v[0], keys[v[1]][:2]))
        return [(keys[row][2], score) for score, row in ranked[: max(k, 0)]]


class Fts5(Postings):
    """SQLite FTS5 over our terms (ascii tokenizer on space-joined terms), bm25() ranking."""

    name, exact_scores = "sqlite fts5", False
    SCHEMA = """
        create virtual table fts using fts5(body, cid unindexed, source unindexed,
                                            tokenize = "ascii tokenchars '_'''");
        create virtual table vocab using fts5vocab(fts, 'row');"""
    FINISH = "insert into fts(fts) values ('optimize');"

    def add(self, chunks: list[Chunk]) -> None:
        rows = [(" ".join(toks), cid, source) for cid, source, _, toks in chunks]
        self.db.execute("begin immediate")
        self.db.executemany("insert into fts(body, cid, source) values (?, ?, ?)", rows)
        self.db.execute("commit")

    def remove(self, source: str) -> None:  # source is unindexed: a scan of the content table
        self.db.execute("delete from fts where source = ?", (source,))

    def leftover(self, probe: list[str]) -> int:
        sql = f"select coalesce(sum(doc), 0) from vocab where term in {JSON_LIST}"
        return int(self.db.execute(sql, (json.dumps(probe),)).fetchone()[0])

    def top(self, query: list[str], k: int) -> Hits:
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(query))
        sql = "select cid, -bm25(fts) from fts where fts match ? order by rank limit ?"
        return self.db.execute(sql, (match, k)).fetchall()


class Bm25s(Candidate):
    """bm25s (method lucene: our idf, our tf part / (k1 + 1), float32), loaded with mmap=True."""

    name = "bm25s mmap"

    def build(self, chunks: list[Chunk]) -> None:
        self.chunks = sorted(chunks, key=lambda c: (c[1], c[2]))  # save() overwrites its files
        index = lib("bm25s").BM25(k1=K1, b=B, method="lucene")
        index.index([list(c[3]) for c in self.chunks], show_progress=False)
        index.save(str(self.folder))
        (self.folder / "ids.json").write_text(json.dumps([c[0] for c in self.chunks]))

    def open(self) -> None:
        self.index = lib("bm25s").BM25.load(str(self.folder), mmap=True, load_vocab=True)
        self.ids = json.loads((self.folder / "ids.json").read_text())

    def top(self, query: list[str], k: int) -> Hits:
        known = [[t for t in dict.fromkeys(query) if t in self.index.vocab_dict]]
        got = self.index.retrieve(known, k=k, show_progress=False) if known[0] else ([[]], [[]])
        return [(self.ids[d], float(s)) for d, s in zip(got[0][0], got[1][0], strict=True) if s > 0]


class Tantivy(Candidate):
    """tantivy: whitespace tokenizer over our terms, freqs only, its BM25 (fieldnorms coded)."""

    name = "tantivy"

    def build(self, chunks: list[Chunk]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        schema = lib("tantivy").SchemaBuilder()
        schema.add_text_field("cid", stored=True, tokenizer_name="raw")
        schema.add_text_field("source", tokenizer_name="raw")
        schema.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
        self.index = lib("tantivy").Index(schema.build(), path=str(self.folder))
        self.add(chunks)

    def add(self, chunks: list[Chunk], remove: str = "") -> None:
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        if remove:
            writer.delete_documents_by_term("source", remove)
        document = lib("tantivy").Document
        for cid, source, _, toks in chunks:
            writer.add_document(document(cid=cid, source=source, body=" ".join(toks)))
        writer.commit()
        writer.wait_merging_threads()

    def remove(self, source: str) -> None:
        self.add([], remove=source)

    def open(self) -> None:
        self.index = lib("tantivy").Index.open(str(self.folder))
        self.searcher = self.index.searcher()

    def leftover(self, probe: list[str]) -> int:  # doc_freq counts deleted docs until a merge
        return sum(self.searcher.doc_freq("body", t) for t in probe)

    def top(self, query: list[str], k: int) -> Hits:
        t = lib("tantivy")
        each = [t.Query.term_query(self.index.schema, "body", w) for w in dict.fromkeys(query)]
        should = t.Query.boolean_query([(t.Occur.Should, q) for q in each])
        hits = self.searcher.search(should, k, count=False).hits
        return [(self.searcher.doc(a)["cid"][0], float(s)) for s, a in hits]


CANDIDATES: dict[str, Any] = {"memory": Memory, "postings": Postings, "fts5": Fts5}
CANDIDATES |= {"bm25s": Bm25s, "tantivy": Tantivy}


def probe(key: str, folder: str) -> None:
    """In a fresh process: open the index, answer 1 + 10 questions, print times and peak RSS."""
    qs, first, then, cand = [terms(q) for q in questions(11)], 0.0, 0.0, CANDIDATES.get(key)
    if cand:
        cand = cand(Path(folder))
        first = timed(cand.open) + timed(cand.top, qs[0], K)  # imports bm25s/tantivy too
        first, then = first * 1000, sum(timed(cand.top, q, K) for q in qs[1:]) * 100
    hwm = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({"cold_first_ms": first, "fresh_next_ms": then, "rss_mb": hwm}))


def fresh(key: str, folder: Path, pkgs: str) -> dict[str, float]:
    code = f"import sys; sys.path[:0] = {[pkgs, str(ROOT)]!r}; "
    code += f"from benchmarks.lexical_options import probe; probe({key!r}, {str(folder)!r})"
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {**json.loads(out.stdout.splitlines()[-1]), "process_s": time.perf_counter() - start}


def compare(cand: Candidate, ref: Memory, qs: list[list[str]]) -> tuple[int, int]:
    """Questions whose top-20 equals the reference's (ids, and scores where comparable), and
    those whose top-20 ids have the reference's top-20 scores under our BM25 (equal up to ties)."""
    same = up_to_ties = 0
    for q in qs:
        want, got = ref.top(q, K), cand.top(q, K)
        same += want == got if cand.exact_scores else [c for c, _ in want] == [c for c, _ in got]
        ours = dict(ref.top(q, ref.bm25.n)) if want != got else dict(want)
        got_ours = sorted((ours.get(c, 0.0) for c, _ in got), reverse=True)
        up_to_ties += [s for _, s in want] == got_ours
    return same, up_to_ties


def timed(action: Any, *args: Any) -> float:
    start = time.perf_counter()
    action(*args)
    return time.perf_counter() - start


def measure(key: str, data: dict[str, Any], qs: list[list[str]], pkgs: str) -> dict[str, Any]:
    ref, after, work = data["ref"], data["after"], data["work"]
    cand = ref if key == "memory" else CANDIDATES[key](work / key)
    shutil.rmtree(cand.folder, ignore_errors=True)
    row: dict[str, Any] = {"n": data["n"], "candidate": cand.name}
    row["build_s"] = timed(cand.build, data["chunks"])
    cand.open()
    times = [timed(cand.top, q, K) * 1000 for q in qs][1:]  # warm: after the first
    row["p50_ms"], row["p95_ms"] = np.percentile(times, 50), np.percentile(times, 95)
    row["same_top20"], row["same_up_to_ties"] = compare(cand, ref, qs)
    row["add_s"] = timed(cand.add, data["more"])
    row["remove_s"] = timed(cand.remove, REMOVED)
    cand.open()
    probe_terms = [f"n{j}" for j in range(PER_SOURCE, 2 * PER_SOURCE)]  # REMOVED's own words
    hits = [c for t in probe_terms for c, _ in cand.top([t], K)]
    hits += [c for q in qs for c, _ in cand.top(q, K) if c.startswith(REMOVED)]
    row["removed_gone"], row["leftover_postings"] = not hits, cand.leftover(probe_terms)
    row["same_after_updates"], row["ties_after_updates"] = compare(cand, after, qs)
    row |= fresh(key, cand.folder, pkgs)
    row["disk_mb"] = sum(p.stat().st_size for p in cand.folder.rglob("*") if p.is_file()) / 1e6
    if key == "memory":
        ref.build(data["chunks"])  # back to the built corpus, the next candidates' reference
    return row


COLUMNS = """n candidate build_s add_s remove_s removed_gone leftover_postings p50_ms p95_ms
    cold_first_ms process_s rss_mb disk_mb same_top20 same_up_to_ties same_after_updates
    ties_after_updates""".split()


def cell(v: Any) -> str:
    return f"{v:.{3 if v < 1 else 2 if v < 100 else 0}f}" if isinstance(v, float) else str(v)


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(r[k]) for k in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def prepare(n: int, base: list[str], work: Path) -> dict[str, Any]:
    """One size's chunks, the added file (sorted first), and our BM25 before and after updates."""
    raw, extra = corpus(n, base), corpus(PER_SOURCE, base, "a-added", "added")
    texts = {c[0]: c[3] for c in raw + extra}
    chunks, more = ([(*c[:3], tuple(terms(c[3]))) for c in rows] for rows in (raw, extra))
    ref, after = Memory(work / "memory"), Memory(work / "after")
    ref.texts = after.texts = texts
    ref.build(chunks)
    after.build([c for c in chunks + more if c[1] != REMOVED])
    return {"n": n, "work": work, "chunks": chunks, "more": more, "ref": ref, "after": after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--work", default="/tmp/lexical")
    parser.add_argument("--pkgs", default="/tmp/lexical/pkgs", help="where bm25s/tantivy are")
    args = parser.parse_args()
    sys.path.insert(0, args.pkgs)
    work = Path(args.work)
    base, qs = passages(), [terms(q) for q in questions()]
    baseline = fresh("none", work, args.pkgs)
    note = f"""Corpus: {len(base)} real ~600-char passages repeated, each chunk with a numbered word
of its own, {PER_SOURCE} chunks a source; {len(qs)} questions from tests/eval, k={K}; warm page
cache. A fresh process with the imports only: {baseline["rss_mb"]:.0f} MB."""
    print(note, flush=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        data = prepare(n, base, work / f"n{n}")
        for key in args.candidates.split(","):
            try:
                rows.append(measure(key, data, qs, args.pkgs))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
            except (ImportError, subprocess.CalledProcessError) as exc:
                print(f"skipped {key}: {exc}", flush=True)
    (work / "results.md").write_text(f"{table(rows)}\n\n{note}\n")
    print(table(rows))
    print(json.dumps({"lexical_options": rows, "baseline": baseline}, default=float))


if __name__ == "__main__":
    main()

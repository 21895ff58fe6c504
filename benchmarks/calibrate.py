"""Fit the extractive answerer's weights and decline threshold on the question sets.

Run by hand: `.venv/bin/python benchmarks/calibrate.py`. It indexes each corpus into a temp
store, collects every candidate sentence's features, fits (1) the sentence-scoring weights by
logistic regression on "this sentence holds the gold answer", (2) the decline model on
"answerable or not", then prints the figures by held-out fold and the Weights to paste into
qa/extractive.py. Folds split by document, so no article is scored by weights fitted on it.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import Assistant, bundled_article  # noqa: E402
from qa import extractive as ex  # noqa: E402
from qa.evaluation import contains, read_questions  # noqa: E402

FEATURE_REPEATED = ex.FEATURES.index("repeated")
FALSE_DECLINES = 0.05
UNKNOWN_NAME_WEIGHT = float(os.environ.get("UNKNOWN_NAME_WEIGHT", "-1.0"))
# the threshold keeps each set's false declines (answerable questions declined) at FALSE_DECLINES
THRESHOLD_SETS = ("article", "wiki")
SETS = [
    ("article", [bundled_article()], ROOT / "tests/eval/article.jsonl"),
    ("wiki", [ROOT / "tests/data/wiki"], ROOT / "tests/eval/wiki.jsonl"),
]


def collect(name: str, paths: list[Path], questions_file: Path) -> list[dict]:
    data = Path(tempfile.gettempdir()) / f"qa-calibrate-{name}"
    assistant = Assistant(data_dir=data, bundled=False)
    assistant.index(paths)
    rows = []
    for q in read_questions(questions_file):
        ranking = assistant.rank(q.question, q.history)
        rows.append({"set": name, "q": q, "ranking": ranking})
    return rows


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def sentence_weights(rows: list[dict]) -> tuple[float, ...]:
    pairs, signs = [], []
    for r in rows:
        feats = [np.array(c.features) for c in r["ranking"].ranked]
        marks = labels(r)
        good = [f for f, ok in zip(feats, marks, strict=True) if ok]
        bad = [f for f, ok in zip(feats, marks, strict=True) if not ok][:15]
        for g in good[:2]:
            for b in bad:
                pairs += [g - b, b - g]
                signs += [1, 0]
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=0.3, max_iter=5000, fit_intercept=False)
    model.fit(np.array(pairs), np.array(signs))
    coef = model.coef_[0]
    coef = 2.5 * coef / max(abs(coef[0]), 1e-6)  # dense weight 2.5, for readability
    coef[FEATURE_REPEATED] = -3.0  # a follow-up never gets the previous answer again
    return tuple(round(float(v), 3) for v in coef)


def labels(row: dict) -> list[bool]:
    q = row["q"]
    return [q.answerable and contains(c.text, q.must) for c in row["ranking"].ranked]


def main() -> None:
    rows: list[dict] = []
    cache = Path(tempfile.gettempdir()) / "qa-calibrate-rows.pickle"
    if "--cached" in sys.argv and cache.exists():
        rows = pickle.loads(cache.read_bytes())
    else:
        for name, paths, file in SETS:
            if file.exists():
                rows += collect(name, paths, file)
        cache.write_bytes(pickle.dumps(rows))
    answerable = [r for r in rows if r["q"].answerable and any(labels(r))]
    # (1) sentence weights: pairwise logistic regression (answer sentence vs. another one)
    for train in sorted({r["set"] for r in rows}):
        held_out = [r for r in answerable if r["set"] != train]
        w = sentence_weights([r for r in answerable if r["set"] == train])
        for r in held_out:
            r["held"] = r["ranking"].reweighted(replace(ex.DEFAULT_WEIGHTS, sentence=w))
        if held_out:
            top = np.mean([contains(r["held"].ranked[0].text, r["q"].must) for r in held_out])
            print(f"fitted on {train} only: top-1 holds the answer on the rest: {top:.3f}")
    weights = replace(ex.DEFAULT_WEIGHTS, sentence=sentence_weights(answerable))
    for r in rows:
        r["ranking"] = r["ranking"].reweighted(weights)
    top1 = np.mean([labels(r)[0] for r in answerable])
    print(f"sentence weights {weights.sentence}; top-1 holds the answer: {top1:.3f}")
    # (2) decline model, features standardised for the fit then folded back
    sx = np.array([r["ranking"].support_features() for r in rows])
    sy = np.array([r["q"].answerable for r in rows], dtype=int)
    # A name the corpus has never seen is a reason to decline by design (the question is
    # about something the documents do not hold); its weight is fixed, the rest is fitted.
    fixed = ex.SUPPORT_FEATURES.index("unknown")
    free = [i for i in range(sx.shape[1]) if i != fixed]
    mean, std = sx[:, free].mean(axis=0), sx[:, free].std(axis=0) + 1e-9
    scoef, sbias = fit_logistic((sx[:, free] - mean) / std, sy, c=1.0)
    coef_raw = np.zeros(sx.shape[1])
    coef_raw[free] = scoef / std
    coef_raw[fixed] = UNKNOWN_NAME_WEIGHT
    bias_raw = sbias - float(np.dot(scoef, mean / std))
    probs = 1 / (1 + np.exp(-(sx @ coef_raw + bias_raw)))
    names = [n for i, n in enumerate(ex.SUPPORT_FEATURES) if i != fixed]
    print("support coef (standardised):", dict(zip(names, np.round(scoef, 2), strict=True)))
    thresholds = []
    for name in sorted({r["set"] for r in rows}):
        mask = np.array([r["set"] == name and r["q"].answerable for r in rows])
        unmask = np.array([r["set"] == name and not r["q"].answerable for r in rows])
        ans = np.sort(probs[mask])
        for fd in (0.03, 0.05, 0.08, 0.10):
            cut = float(ans[int(fd * len(ans))])
            print(
                f"  {name}: {fd:.0%} false declines -> declines {np.mean(probs[unmask] < cut):.2f}"
            )
        if name in THRESHOLD_SETS:
            thresholds.append(float(ans[int(FALSE_DECLINES * len(ans))]))
    weights = replace(
        weights,
        support=tuple(round(float(v), 4) for v in coef_raw),
        support_bias=round(bias_raw, 4),
        threshold=round(min(thresholds), 4),
    )
    for margin in (0.5, 1.0, 2.0, 3.0, 99.0):
        report(rows, replace(weights, second_margin=margin))
    print(weights)


def report(rows: list[dict], weights: ex.Weights) -> None:
    figures = {}
    for name in sorted({r["set"] for r in rows}):
        hit = declined_ok = false_decl = n_ans = n_un = 0
        lengths = []
        for row in rows:
            if row["set"] != name:
                continue
            answered = ex.confidence(row["ranking"], weights) > 0
            chosen = ex.choose(list(row["ranking"].ranked), weights)
            text = " ".join(c.text for c in chosen)
            if row["q"].answerable:
                n_ans += 1
                false_decl += not answered
                hit += answered and contains(text, row["q"].must)
                if answered:
                    lengths.append(len(text))
            else:
                n_un += 1
                declined_ok += not answered
        figures[name] = (
            f"acc {hit / max(n_ans, 1):.3f} decl {declined_ok / max(n_un, 1):.3f} "
            f"false {false_decl / max(n_ans, 1):.3f} len {np.mean(lengths):.0f}"
        )
    print(f"margin {weights.second_margin}: {json.dumps(figures)}")


if __name__ == "__main__":
    main()

"""Fit the reading model and write it to qa/data/reading.json.

Run by hand: `.venv/bin/python benchmarks/fit_reading.py [--cached] [--answers-only]`, after
benchmarks/fit_kinds.py (the answer kinds that decide alone). It asks every question of
the fit split (benchmarks/reading_sets.py: SQuAD pool articles, half of each indexed, other
articles' questions out of scope; the article's development questions) of real stores, then:

1. ranker: sentence weights by pairwise logistic regression (the answer sentence above another);
2. answers: whether the best passage answers, by logistic regression on every kind of negative
   (near-misses, missing facts on the same topic, out-of-scope questions), with the binary
   features that (almost) never fire on an answered question as vetoes; the threshold keeps
   false declines at FALSE_DECLINES on the fit split;
3. supports: whether a passage supports a claim, on claims made offline (benchmarks/claim_data.py).

It prints, and records in the file, every figure on the held split (never fitted on) beside
the one-feature baseline (best question-sentence cosine, or claim-passage cosine, thresholded
at the same false-decline rate on the fit split). `--cached` reuses the last run's rankings;
`--answers-only` refits the answers judge alone, keeping the ranker and the supports judge.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from claim_data import claims  # noqa: E402
from fit_kinds import veto_figures  # noqa: E402
from reading_rows import TEMP, CachedReader, all_rows  # noqa: E402
from reading_sets import SPLITS  # noqa: E402

from qa.candidates import neighbourhood  # noqa: E402
from qa.evaluation import contains  # noqa: E402
from qa.reading.answers import answer_features  # noqa: E402
from qa.reading.claims import CLAIM_FEATURES, claim_features  # noqa: E402
from qa.reading.cross import claim_text, load_cross  # noqa: E402
from qa.reading.features import FEATURES  # noqa: E402
from qa.reading.model import load_reader  # noqa: E402

OUT = ROOT / "qa" / "data" / "reading.json"
FALSE_DECLINES = 0.05  # on the fit split's answerable questions (Wikipedia and article alike)
VETO_POSITIVES = 0.02  # a binary feature firing on at most this share of answered questions
VETO_NEGATIVES = 0.03  # ... and on at least this share of the negatives decides alone
SCORE_SPREAD = 1.9  # the standard deviation of sentence scores among a question's candidates
# what a claim asserts must be in its passage, by design (the content units): a missing
# name, number or date, a flipped negation or an opposite word decides alone
DECISIVE_CLAIM_UNITS = ("unit_missing", "number_missing", "polarity", "opposite")
CLAIMS_KEPT = (
    0.9  # the supports threshold keeps this share of the development claims' faithful ones
)
MARGINS = {"second_margin": 1.0, "complement_margin": 4.0, "trim_margin": 2.0}
C = 1.0


def fit_logistic(x: np.ndarray, y: np.ndarray, balanced: bool = True) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features, folded back to raw feature units."""
    from sklearn.linear_model import LogisticRegression

    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced" if balanced else None)
    model.fit((x - mean) / std, y)
    coef = model.coef_[0] / std
    return coef, float(model.intercept_[0] - np.dot(model.coef_[0], mean / std))


def vetoes(x: np.ndarray, y: np.ndarray, names: list[str]) -> list[str]:
    out = []
    for j, name in enumerate(names):
        column = x[:, j]
        if not np.isin(column, (0.0, 1.0)).all():
            continue
        fires_pos, fires_neg = column[y == 1].mean(), column[y == 0].mean()
        if fires_pos <= VETO_POSITIVES and fires_neg >= VETO_NEGATIVES:
            out.append(name)
    return out


def probabilities(x: np.ndarray, coef: np.ndarray, bias: float, veto: np.ndarray) -> np.ndarray:
    z = np.clip(x @ coef + bias, -50, 50)
    p = 1 / (1 + np.exp(-z))
    p[veto] = 0.0
    return p


def threshold_at(scores: np.ndarray, rate: float) -> float:
    """The threshold below which `rate` of the scores fall."""
    ordered = np.sort(scores)
    return float(ordered[min(len(ordered) - 1, int(rate * len(ordered)))])


# 1. ranker


def fit_ranker(rows: list[dict[str, Any]]) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    pairs, signs = [], []
    for r in rows:
        ranked = r["ranking"].ranked
        marks = [contains(c.text, r["q"]["must"]) for c in ranked]
        good = [np.array(c.features) for c, ok in zip(ranked, marks, strict=True) if ok][:2]
        bad = [np.array(c.features) for c, ok in zip(ranked, marks, strict=True) if not ok][:15]
        for g in good:
            for b in bad:
                pairs += [g - b, b - g]
                signs += [1, 0]
    model = LogisticRegression(C=0.3, max_iter=5000, fit_intercept=False)
    model.fit(np.array(pairs), np.array(signs))
    coef = model.coef_[0]
    # scores in units of their spread among candidates, so the margins in MARGINS keep a meaning
    spread = np.std([np.dot(coef, c.features) for r in rows for c in r["ranking"].ranked])
    coef = SCORE_SPREAD * coef / spread
    weights = {name: round(float(w), 4) for name, w in zip(FEATURES, coef, strict=True)}
    weights["repeated"] = -3.0  # a follow-up never gets the previous answer again
    return weights


def reranked(rows: list[dict[str, Any]], weights: dict[str, float]) -> None:
    for r in rows:
        r["ranking"] = r["ranking"].reweighted(tuple(weights.items()))


# 2. answers


def answered_label(row: dict[str, Any]) -> int | None:
    """1: the best sentence's neighbourhood holds the answer; 0: no answer exists; None:
    answerable but the answer was not retrieved there (left out of fitting)."""
    if row["kind"] != "answerable":
        return 0
    best = row["ranking"].ranked[0] if row["ranking"].ranked else None
    if best is not None and contains(neighbourhood(best), row["q"]["must"]):
        return 1
    return None


def report_answers(
    rows: list[dict[str, Any]], p: np.ndarray, threshold: float, base: np.ndarray, base_t: float
) -> dict[str, dict[str, float]]:
    from qa.choosing import choose

    out: dict[str, dict[str, float]] = {}
    groups = sorted({(r["set"], r["split"], r["kind"]) for r in rows})
    for name, split, kind in groups:
        idx = [
            i
            for i, r in enumerate(rows)
            if (r["set"], r["split"], r["kind"]) == (name, split, kind)
        ]
        declined = p[idx] < threshold
        base_declined = base[idx] < base_t
        key = f"{name}/{split}/{kind}"
        figures = {
            "n": len(idx),
            "declined": round(float(declined.mean()), 3),
            "baseline_declined": round(float(base_declined.mean()), 3),
        }
        if kind == "answerable":
            hits = []
            for i, dec in zip(idx, declined, strict=True):
                r = rows[i]
                text = " ".join(c.text for c in choose(r["ranking"].ranked)) if not dec else ""
                hits.append(bool(text) and contains(text, r["q"]["must"]))
            figures["answers_hold"] = round(float(np.mean(hits)), 3)
        out[key] = figures
        print(f"  {key:34} {json.dumps(figures)}")
    return out


def fit_answers(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    feats = [answer_features(r["ranking"]) for r in rows]
    names = list(feats[0])
    x = np.array([[f[n] for n in names] for f in feats])
    labels = [answered_label(r) for r in rows]
    fit = np.array(
        [r["split"] == "fit" and lab is not None for r, lab in zip(rows, labels, strict=True)]
    )
    y = np.array([lab or 0 for lab in labels])
    # the typed veto decides where fit_kinds.py found it confident; the others are found here
    veto_names = sorted({"kind_missing"} | set(vetoes(x[fit], y[fit], names)))
    print(f"answers: vetoes {veto_names}")
    veto = np.array([any(f[n] for n in veto_names) for f in feats])
    free = [j for j, n in enumerate(names) if n not in veto_names]
    keep = fit & ~veto
    coef, bias = fit_logistic(x[keep][:, free], y[keep], balanced=False)
    full = np.zeros(len(names))
    full[free] = coef
    p = probabilities(x, full, bias, veto)
    answerable_fit = np.array([r["split"] == "fit" and r["kind"] == "answerable" for r in rows])
    article = np.array([r["set"] != "squad" for r in rows])
    # false declines held to FALSE_DECLINES on the Wikipedia and on the article questions alike
    threshold = min(
        threshold_at(p[answerable_fit & ~article], FALSE_DECLINES),
        threshold_at(p[answerable_fit & article], FALSE_DECLINES),
    )
    base = x[:, names.index("top_dense")]
    base_t = threshold_at(base[answerable_fit], float((p[answerable_fit] < threshold).mean()))
    print(f"answers: threshold {threshold:.4f}; baseline top_dense threshold {base_t:.4f}")
    figures = report_answers(rows, p, threshold, base, base_t)
    model = {
        "bias": round(bias, 6),
        "weights": {n: round(float(full[j]), 6) for j, n in enumerate(names) if j in free},
        "threshold": round(threshold, 6),
        "vetoes": veto_names,
    }
    return model, figures


# 3. supports


def claim_rows(embedder: Any, cross: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    made = list(claims())
    texts = sorted({c.claim for c in made} | {c.passage for c in made})
    vectors = dict(zip(texts, embedder.encode(texts), strict=True))
    read = cross.scores([(claim_text(c.claim), c.passage) for c in made])
    cross.save()
    x = np.array(
        [
            [
                claim_features(
                    c.claim, c.passage, embedder.words.vectors,
                    float(vectors[c.claim] @ vectors[c.passage]), float(logit),
                )[n]
                for n in CLAIM_FEATURES
            ]
            for c, logit in zip(made, read, strict=True)
        ]
    )  # fmt: skip
    return x, np.array([c.supported for c in made], dtype=int), [c.kind for c in made]


def fit_supports(embedder: Any, cross: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    x, y, kinds = claim_rows(embedder, cross)
    names = list(CLAIM_FEATURES)
    veto_names = sorted(set(DECISIVE_CLAIM_UNITS) | set(vetoes(x, y, names)))
    print(f"supports: {len(y)} made claims, {Counter(kinds)}; vetoes {veto_names}")
    veto = np.array([any(row[names.index(n)] for n in veto_names) for row in x])
    free = [j for j, n in enumerate(names) if n not in veto_names]
    coef, bias = fit_logistic(x[~veto][:, free], y[~veto], balanced=False)
    full = np.zeros(len(names))
    full[free] = coef
    p = probabilities(x, full, bias, veto)
    model = {
        "bias": round(bias, 6),
        "weights": {n: round(float(full[j]), 6) for j, n in enumerate(names) if j in free},
        "threshold": 0.0,  # set on the development claims (claims_threshold)
        "vetoes": veto_names,
    }
    return model, {"made": (p, kinds)}


def claim_scores() -> list[tuple[Any, str, float, float]]:
    """Each claim of tests/eval/claims.jsonl (part "dev": ids up to 60; "held": the rest), with
    the best probability that a passage shown for its question supports it, and the baseline's
    score: the best cosine of the claim with a shown passage."""
    from qa import build_assistant, bundled_article
    from qa.evaluation import read_claims
    from qa.generative import passages
    from qa.support import strip

    stores = {
        "article.txt": build_assistant(data_dir=TEMP / "store-article", bundled=False),
        "wiki": build_assistant(data_dir=TEMP / "store-wiki", bundled=False),
    }
    stores["article.txt"].index([bundled_article()])
    stores["wiki"].index([ROOT / "tests" / "data" / "wiki"])
    sources = {
        x["id"]: x["source"]
        for x in map(json.loads, (ROOT / "tests/eval/claims.jsonl").read_text().splitlines())
    }
    out = []
    for claim in read_claims(ROOT / "tests/eval/claims.jsonl"):
        assistant = stores["article.txt" if sources[claim.id] == "article.txt" else "wiki"]
        shown = passages(assistant.rank(claim.question), assistant.source_text)
        said = strip(claim.claim)
        row = assistant.support.matrix([said], [p.text for p in shown])[0]
        vectors = assistant.embedder.encode([said, *[p.text for p in shown]])
        cosine = float((vectors[1:] @ vectors[0]).max()) if shown else 0.0
        part = "dev" if int(claim.id.rsplit("-", 1)[1]) <= 60 else "held"
        out.append((claim, part, float(row.max()) if len(row) else 0.0, cosine))
    return out


def claims_threshold(scored: list[tuple[Any, str, float, float]], column: int = 2) -> float:
    """The highest threshold that keeps CLAIMS_KEPT of the development claims' faithful ones."""
    faithful = np.array([row[column] for row in scored if row[1] == "dev" and row[0].supported])
    return max(threshold_at(faithful, 1.0 - CLAIMS_KEPT), 1e-6) if len(faithful) else 0.5


def report_claims(scored: list[tuple[Any, str, float, float]], threshold: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    base_t = claims_threshold(scored, column=3)
    for part in ("dev", "held"):
        mine = [(c, p >= threshold) for c, pt, p, _ in scored if pt == part]
        base = [(c, cos >= base_t) for c, pt, _, cos in scored if pt == part]
        figures: dict[str, Any] = {
            "baseline_faithful_kept": round(float(np.mean([k for c, k in base if c.supported])), 3),
            "baseline_flagged": round(
                float(np.mean([not k for c, k in base if not c.supported])), 3
            ),
            "faithful_kept": round(float(np.mean([k for c, k in mine if c.supported])), 3),
            "unsupported_flagged": round(
                float(np.mean([not k for c, k in mine if not c.supported])), 3
            ),
        }
        for kind in sorted({c.kind for c, _ in mine if not c.supported}):
            figures[f"flagged_{kind}"] = round(
                float(np.mean([not k for c, k in mine if c.kind == kind])), 3
            )
        out[part] = figures
        print(f"  claims/{part}: {json.dumps(figures)}")
    return out


def main() -> None:
    from qa import build_assistant

    rows = all_rows(cached="--cached" in sys.argv)
    print(f"{len(rows)} questions: {Counter((r['set'], r['split'], r['kind']) for r in rows)}")
    kept = json.loads(OUT.read_text(encoding="utf-8"))
    if "--answers-only" in sys.argv:  # the ranker and the supports judge as they are
        ranker = kept["ranker"]["weights"]
    else:
        ranker = fit_ranker([r for r in rows if r["split"] == "fit" and r["kind"] == "answerable"])
    print(f"ranker: {ranker}")
    reranked(rows, ranker)
    cross = CachedReader(load_cross())
    for r in rows:
        r["ranking"] = r["ranking"].judged(cross.scores)
    cross.save()
    answers, answer_figures = fit_answers(rows)
    kinds = {**kept.get("kinds", {})}
    kinds.setdefault("figures", {})["veto"] = veto_figures(rows, load_reader().decisive_kinds)
    if "--answers-only" in sys.argv:
        kept.update(answers=answers, kinds=kinds)
        kept["figures"]["answers"] = answer_figures
        OUT.write_text(json.dumps(kept, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
        return
    supports, support_figures = fit_supports(build_assistant(bundled=False).embedder, cross)
    fitted = {"ranker": {"weights": ranker}, "answers": answers, "supports": supports}
    OUT.write_text(json.dumps({**kept, **fitted}))  # the claims below use the fitted judges
    load_reader.cache_clear()
    scored = claim_scores()
    supports["threshold"] = round(claims_threshold(scored), 6)
    print(f"supports: threshold {supports['threshold']} (keeps {CLAIMS_KEPT} of faithful dev)")
    support_figures["claims"] = report_claims(scored, supports["threshold"])
    made, kinds_made = support_figures.pop("made")
    kept_made = made >= supports["threshold"]
    support_figures["made_claims_kept"] = {
        kind: round(float(np.mean(kept_made[np.array(kinds_made) == kind])), 3)
        for kind in sorted(set(kinds_made))
    }
    print(f"supports (made claims, share kept): {support_figures['made_claims_kept']}")
    model = {
        "about": "Written by benchmarks/fit_reading.py; figures are on splits fitting never read.",
        "data": {"splits": SPLITS, "false_declines_on_fit": FALSE_DECLINES},
        "ranker": {"weights": ranker},
        "answers": answers,
        "supports": supports,
        "margins": MARGINS,
        "kinds": kinds,
        "figures": {"answers": answer_figures, "supports": support_figures},
    }
    OUT.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Fine-tune the bundled MiniLM as a cross-encoder that reads a pair together: does this passage
answer this question, does it support this claim. Writes qa/data/cross.npz.

Run by hand, after benchmarks/fit_reading.py has cached the fit split's rankings:
`.venv/bin/python benchmarks/fit_cross.py [--epochs 2]` (about half an hour on 2 cores).

Pairs (fit split only, never the held one):
- a question with a retrieved sentence (read with the one before it): 1 when the sentence holds
  the answer, 0 for the other sentences retrieved for it, and for the best sentences retrieved
  for near-misses, missing facts and out-of-scope questions;
- a claim with its passage, from benchmarks/claim_data.py: 1 when faithful.

The encoder's layers are fine-tuned (the word embeddings stay as shipped), and the file keeps
only their change from the bundled model, as int8 with one scale per row, plus the scoring head:
qa/reading/cross.py adds it back when it exports the model to ONNX.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from claim_data import claims  # noqa: E402
from reading_rows import all_rows  # noqa: E402

from qa.candidates import window  # noqa: E402
from qa.evaluation import contains  # noqa: E402
from qa.reading.cross import CROSS_FILE, MAX_LENGTH, claim_text, question_text  # noqa: E402

SEED = 14


def pairs(rows: list[dict[str, Any]], split: str, rng: random.Random) -> list[tuple[str, str, int]]:
    out = []
    for r in rows:
        if r["split"] != split:
            continue
        ranked = r["ranking"].ranked
        question = question_text(r["ranking"].question)
        if r["kind"] == "answerable":
            good = [c for c in ranked if contains(c.text, r["q"]["must"])]
            bad = [c for c in ranked if not contains(c.text, r["q"]["must"])]
            out += [(question, window(c), 1) for c in good[:1]]
            out += [(question, window(c), 0) for c in bad[:2]] if good else []
        else:
            out += [(question, window(c), 0) for c in ranked[:2]]
    return out


def claim_pairs(rng: random.Random, count: int) -> list[tuple[str, str, int]]:
    made = list(claims())
    rng.shuffle(made)
    return [(claim_text(c.claim), c.passage, int(c.supported)) for c in made[:count]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    import torch
    from transformers import AutoModel, AutoTokenizer

    from index.model_files import bundled_model_path

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    rows = all_rows(cached=True)
    train = pairs(rows, "fit", rng) + claim_pairs(rng, args.claims)
    held = pairs(rows, "held", rng)
    print(f"{len(train)} training pairs ({sum(p[2] for p in train)} positive), {len(held)} held")
    path = bundled_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    encoder = AutoModel.from_pretrained(str(path))
    base = {k: v.detach().clone() for k, v in encoder.state_dict().items()}
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    for name, param in encoder.named_parameters():
        param.requires_grad = not name.startswith("embeddings.")
    optimiser = torch.optim.AdamW(
        [
            {"params": [p for p in encoder.parameters() if p.requires_grad], "lr": 3e-5},
            {"params": head.parameters(), "lr": 1e-3},
        ],
        weight_decay=0.01,
    )

    def score(batch: list[tuple[str, str, int]]) -> Any:
        encoded = tokenizer(
            [a for a, _, _ in batch], [b for _, b, _ in batch], padding=True,
            truncation="longest_first", max_length=MAX_LENGTH, return_tensors="pt",
        )  # fmt: skip
        tokens = encoder(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return head(pooled).squeeze(-1)

    steps = int(args.epochs * len(train) / args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=[3e-5, 1e-3], total_steps=steps, pct_start=0.1
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    started, step = time.time(), 0
    encoder.train()
    while step < steps:
        order = sorted(train, key=lambda p: len(p[0]) + len(p[1]) + rng.random() * 40)
        batches = [order[i : i + args.batch] for i in range(0, len(order), args.batch)]
        rng.shuffle(batches)
        for batch in batches:
            if step >= steps:
                break
            loss = loss_fn(score(batch), torch.tensor([float(p[2]) for p in batch]))
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 50 == 0:
                print(f"step {step}/{steps} loss {loss.item():.3f} {time.time() - started:.0f}s")
    encoder.eval()
    with torch.no_grad():
        logits = np.concatenate([score(held[i : i + 64]).numpy() for i in range(0, len(held), 64)])
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score([p[2] for p in held], logits))
    print(f"held pairs AUC {auc:.3f}")
    arrays: dict[str, np.ndarray] = {}
    for name, value in encoder.state_dict().items():
        if name.startswith("embeddings.") or name not in base:
            continue
        delta = (value - base[name]).numpy().astype(np.float32)
        rows2d = delta.reshape(delta.shape[0], -1) if delta.ndim > 1 else delta.reshape(1, -1)
        scale = np.abs(rows2d).max(axis=1, keepdims=True) / 127.0 + 1e-12
        arrays[f"delta/{name}"] = np.round(rows2d / scale).astype(np.int8).reshape(delta.shape)
        arrays[f"scale/{name}"] = scale.astype(np.float32).ravel()
    arrays["head/weight"] = head.weight.detach().numpy().astype(np.float32)
    arrays["head/bias"] = head.bias.detach().numpy().astype(np.float32)
    meta = {"pairs": len(train), "held_pairs": len(held), "held_auc": round(auc, 4)}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    target = ROOT / "qa" / "data" / CROSS_FILE
    np.savez_compressed(target, **arrays)
    print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size / 1e6:.1f} MB): {meta}")


if __name__ == "__main__":
    main()

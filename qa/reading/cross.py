"""The cross-encoder: the bundled MiniLM fine-tuned to read a question or claim with a passage.

benchmarks/fit_cross.py fine-tunes it and writes qa/data/cross.npz: the change of each encoder
weight from the bundled model (int8, a scale per row) and a scoring head. `python -m
qa.reading.cross` (run by `make install`, or on first use) adds the change back and exports the
model to ONNX beside the sentence encoder's export, so reading a pair never loads torch.
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

CROSS_FILE = "cross.npz"
MAX_LENGTH = 160  # tokens of a pair; the longer text is cut first
PairReader = Callable[[list[tuple[str, str]]], "NDArray[np.float32]"]  # CrossEncoder.scores
TOLERANCE = 1e-3  # largest allowed gap between the ONNX export's scores and torch's
_CHECK = (
    ("question: Which leaders did Putin call?", "Putin told Macron and Scholz on Monday."),
    ("claim: It rained.", ""),
    ("question: " + "word " * 200, "Ünïcödé 日本語 🎉 " * 40),
)


def question_text(question: str) -> str:
    return f"question: {question}"


def claim_text(claim: str) -> str:
    return f"claim: {claim}"


def data_file() -> Path:
    return Path(str(resources.files("qa") / "data" / CROSS_FILE))


def onnx_path(model_dir: Path, weights: Path) -> Path:
    """Where the export of these weights over this model folder lives (it may not exist)."""
    from index.onnx_encoder import default_cache_dir, fingerprint

    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    return default_cache_dir() / f"cross-{fingerprint(model_dir)}-{digest}" / "model.onnx"


def _merged(model_dir: Path, weights: Path) -> Any:
    """The bundled encoder with the fine-tuned change added, and its head, as one torch module."""
    import numpy as np
    import torch
    from transformers import AutoModel

    data = np.load(weights)
    encoder = AutoModel.from_pretrained(str(model_dir))
    if hasattr(encoder, "set_attn_implementation"):
        encoder.set_attn_implementation("eager")
    state = encoder.state_dict()
    for key in data.files:
        if key.startswith("delta/"):
            name = key.removeprefix("delta/")
            delta = data[key].astype(np.float32)
            scale = data[f"scale/{name}"]  # one per row; a vector is one row
            change = delta * (
                scale.reshape(-1, *([1] * (delta.ndim - 1))) if delta.ndim > 1 else scale
            )
            state[name] = state[name] + torch.from_numpy(change)
    encoder.load_state_dict(state)
    head = torch.nn.Linear(encoder.config.hidden_size, 1)
    head.weight.data = torch.from_numpy(data["head/weight"])
    head.bias.data = torch.from_numpy(data["head/bias"])

    class Scorer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder, self.head = encoder, head

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            tokens = self.encoder(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]
            weights = mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return self.head(pooled).squeeze(-1)

    return Scorer().eval()


def export(model_dir: Path, weights: Path, target: Path) -> Path:
    """Export the merged model to ONNX, check it against torch, write atomically."""
    import numpy as np
    import torch

    from index.onnx_encoder import fuse, replaced_when_done

    target.parent.mkdir(parents=True, exist_ok=True)
    scorer = _merged(model_dir, weights)
    reader = CrossEncoder.tokenizer_for(model_dir)
    ids, mask, types = CrossEncoder.arrays(reader, list(_CHECK))
    with replaced_when_done(target) as temp:
        inputs = tuple(torch.from_numpy(a) for a in (ids, mask, types))
        with torch.no_grad():
            want = scorer(*inputs).numpy()
            torch.onnx.export(
                scorer, inputs, temp, dynamo=False,
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["score"],
                dynamic_axes={
                    **{n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask",
                                                             "token_type_ids")},
                    "score": {0: "batch"},
                },
                opset_version=17,
            )  # fmt: skip
        fuse(temp, scorer.encoder.config)
        got = CrossEncoder(temp, model_dir).scores(list(_CHECK))
        gap = float(np.abs(got - want).max())
        if gap > TOLERANCE:
            raise ValueError(f"the exported cross-encoder is off by {gap:.2e} from torch")
    return target


class CrossEncoder:
    """Scores (question or claim, passage) pairs with the exported model: a logit each."""

    def __init__(self, path: Path, model_dir: Path) -> None:
        from index.onnx_encoder import session

        self.tokenizer = self.tokenizer_for(model_dir)
        self.session = session(path)

    @staticmethod
    def tokenizer_for(model_dir: Path) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_LENGTH, strategy="longest_first")
        tokenizer.no_padding()
        return tokenizer

    @staticmethod
    def arrays(tokenizer: Any, pairs: list[tuple[str, str]]) -> tuple[Any, Any, Any]:
        import numpy as np

        encodings = tokenizer.encode_batch(pairs)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(pairs), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = e.attention_mask
            types[row, : len(e.ids)] = e.type_ids
        return ids, mask, types

    def scores(self, pairs: Sequence[tuple[str, str]]) -> NDArray[np.float32]:
        import numpy as np

        if not pairs:
            return np.zeros(0, dtype=np.float32)
        ids, mask, types = self.arrays(self.tokenizer, list(pairs))
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        result: NDArray[np.float32] = self.session.run(None, feed)[0]
        return result


@functools.lru_cache(maxsize=2)
def load_cross(model_dir: str = "") -> CrossEncoder:
    """The exported cross-encoder over the bundled model, exported first when missing."""
    import subprocess

    from index import bundled_model_path

    folder = Path(model_dir) if model_dir else bundled_model_path()
    target = onnx_path(folder, data_file())
    if not target.is_file():
        subprocess.run(
            [sys.executable, "-m", "qa.reading.cross", str(folder)], check=True,
            stdout=subprocess.DEVNULL, timeout=900,
        )  # fmt: skip
    return CrossEncoder(target, folder)


def main(argv: list[str]) -> int:
    """python -m qa.reading.cross [MODEL_DIR]: export the cross-encoder (once)."""
    from index import bundled_model_path
    from index.onnx_encoder import export_once

    folder = Path(argv[0]) if argv else bundled_model_path()
    target = onnx_path(folder, data_file())
    return export_once(target, lambda: export(folder, data_file(), target), "the cross-encoder")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

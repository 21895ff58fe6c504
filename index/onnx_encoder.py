"""Sentence vectors through ONNX Runtime, exported once from the sentence-transformers model."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from tokenizers import Encoding

log = logging.getLogger(__name__)

FORMAT = 2  # bump when the exported graph changes: old exports are then ignored
ONNX_NAME = "model.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_SECONDS = 900
MAX_TOKENS = 8192  # padded tokens in one run: 32 texts of 256 tokens
TOLERANCE = 1e-5  # largest allowed gap to sentence-transformers' vectors
# the cost of a batch, counted in tokens of a short text: a session run costs about as much as
# 12 tokens, and a token of a text of n tokens (1 + n / QUADRATIC) (attention grows with n)
RUN_COST = 12.0
QUADRATIC = 170.0
_CHECK = (
    "Which leaders did Putin call?",
    "",
    "Ünïcödé: 日本語のテキスト, emoji 🎉 and a tab\there.",
    "word " * 300,
)
_SAMPLES = 32  # 64 KiB blocks hashed from each large file
_BLOCK = 1 << 16


@dataclass(frozen=True)
class ModelSpec:
    """What a sentence-transformers folder computes, when it is Transformer -> mean pooling."""

    max_length: int
    dimension: int
    lowercase: bool


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def model_spec(model_dir: Path) -> ModelSpec | None:
    """The folder's settings if this encoder reproduces it exactly, else None."""
    try:
        modules = [str(m["type"]).rsplit(".", 1)[-1] for m in _json(model_dir / "modules.json")]
        if modules not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        pooling_dir = next(m["path"] for m in _json(model_dir / "modules.json") if m["idx"] == 1)
        pooling = _json(model_dir / pooling_dir / "config.json")
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True}
        bert = _json(model_dir / "sentence_bert_config.json")
        st_path = model_dir / "config_sentence_transformers.json"
        st = _json(st_path) if st_path.is_file() else {}
        if modes != {"pooling_mode_mean_tokens"} or st.get("default_prompt_name"):
            return None
        if not (model_dir / "tokenizer.json").is_file() or not bert.get("max_seq_length"):
            return None
        return ModelSpec(
            max_length=int(bert["max_seq_length"]),
            dimension=int(pooling["word_embedding_dimension"]),
            lowercase=bool(bert.get("do_lower_case", False)),
        )
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return None


def fingerprint(model_dir: Path) -> str:
    """A digest of the model folder's content (small files whole, large ones sampled)."""
    digest = hashlib.sha256(f"qa-onnx-{FORMAT}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(model_dir).as_posix()}\0{size}\0".encode())
        with path.open("rb") as handle:
            if size <= _SAMPLES * _BLOCK:
                digest.update(handle.read())
                continue
            for n in range(_SAMPLES):
                handle.seek((size - _BLOCK) * n // (_SAMPLES - 1))
                digest.update(handle.read(_BLOCK))
    return digest.hexdigest()[:24]


def default_cache_dir() -> Path:
    """Where exported models live: the user's cache folder for qa."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("qa", appauthor=False)) / "onnx"


def onnx_file(model_dir: Path, cache_dir: Path | None = None) -> Path:
    """The exported graph of this model folder (it may not exist yet)."""
    return (cache_dir or default_cache_dir()) / fingerprint(model_dir) / ONNX_NAME


# exporting (needs torch; runs in a child process so the caller never imports it)


def export(model_dir: Path, target: Path, model: Any = None) -> Path:
    """Export the model with torch, check it against sentence-transformers, write atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)  # fails fast, before torch loads
    spec = model_spec(model_dir)
    if spec is None:
        raise ValueError(f"{model_dir} is not a Transformer -> mean pooling model")
    import numpy as np
    import torch

    if model is None:
        from index.model_files import load_model

        model = load_model(str(model_dir))
    transformer = model[0].auto_model
    if hasattr(transformer, "set_attn_implementation"):  # plain attention: ORT can fuse it
        transformer.set_attn_implementation("eager")
    examples = ["An example sentence.", "Another, longer example sentence."]
    tokenize = getattr(model, "preprocess", None) or model.tokenize
    features = tokenize(examples)
    names = [name for name in INPUTS if name in features]

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            inputs = dict(zip(names, tensors, strict=True))
            tokens = self.transformer(**inputs)[0]
            mask = inputs["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    with replaced_when_done(target) as temp:
        with torch.no_grad():
            torch.onnx.export(
                Pooled().eval(),
                tuple(features[name] for name in names),
                temp,
                dynamo=False,
                input_names=names,
                output_names=["sentence_embedding"],
                dynamic_axes={
                    **{name: {0: "batch", 1: "tokens"} for name in names},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=17,
            )
        fuse(temp, transformer.config)
        got = OnnxEncoder(temp, model_dir, spec).encode(list(_CHECK))
        want = model.encode(list(_CHECK), normalize_embeddings=True, convert_to_numpy=True)
        gap = float(np.abs(got - want).max())
        if gap > TOLERANCE:
            raise ValueError(f"the exported model is off by {gap:.2e} from sentence-transformers")
    return target


@contextlib.contextmanager
def replaced_when_done(target: Path) -> Iterator[Path]:
    """A temp file beside target that replaces it when the block ends without an error (and
    is removed either way): a reader never sees a half-written export."""
    handle, temp = tempfile.mkstemp(prefix=".export-", suffix=".onnx", dir=target.parent)
    os.close(handle)
    try:
        yield Path(temp)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)


def fuse(path: Path, config: Any) -> None:
    """Rewrite the graph with ONNX Runtime's fused BERT operators (attention, layer norms,
    GELU: 58 nodes instead of 532); a short question then runs in ~4.3 ms instead of ~5.7.
    The graph stays unfused if the optimizer fails; the check against sentence-transformers
    that follows judges either."""
    try:
        from onnxruntime.transformers import optimizer

        fused = optimizer.optimize_model(
            str(path),
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=1,
        )
        fused.save_model_to_file(str(path))
    except Exception as exc:
        log.warning("ONNX graph left unfused: %s", exc)


def export_in_child(model_dir: Path, target: Path) -> bool:
    """Export in a separate Python process; True when the file is there afterwards."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False
    command = [sys.executable, "-m", "index.onnx_encoder", str(model_dir), str(target)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=EXPORT_SECONDS, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("ONNX export of %s did not run: %s", model_dir, exc)
        return False
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        log.warning("ONNX export of %s failed: %s", model_dir, tail[0])
    return target.is_file()


# encoding (numpy, tokenizers and onnxruntime only)


def plan_batches(lengths: list[int], batch_size: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut texts sorted longest first (their token counts) into batches [start, end) of at
    most ``batch_size`` texts and ``max_tokens`` padded tokens, choosing the cuts that cost the
    least: a run costs RUN_COST, and each text the cost of the batch's longest one (its padded
    width). One batch of texts from 81 down to 12 tokens pads them all to 81; cut where the
    padding costs more than another run does, it computes about half the tokens.
    """
    import numpy as np

    count = len(lengths)
    width = np.asarray(lengths, dtype=np.float64)
    cost = np.maximum(width, 1.0) * (1.0 + width / QUADRATIC)  # one text padded to width
    best = np.zeros(count + 1)
    cut = [0] * (count + 1)
    first = 0  # the earliest start a batch ending at ``end`` may have
    for end in range(1, count + 1):
        first = max(first, end - batch_size)
        while first < end - 1 and (end - first) * lengths[first] > max_tokens:
            first += 1
        starts = np.arange(first, end)
        totals = best[first:end] + RUN_COST + (end - starts) * cost[starts]
        pick = int(np.argmin(totals))
        best[end] = totals[pick]
        cut[end] = first + pick
    batches = []
    end = count
    while end > 0:
        batches.append((cut[end], end))
        end = cut[end]
    return batches[::-1]


def session(path: Path) -> Any:
    """An ONNX Runtime CPU session that does not spin between runs and sends nothing out."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    ort.disable_telemetry_events()  # nothing leaves the machine
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """The exported model behind sentence-transformers' own tokenizer settings.

    Texts are tokenized once, sorted by length and run in batches (see plan_batches) of at
    most ``batch_size`` texts and ``max_tokens`` padded tokens, which bounds the memory a batch
    of long texts takes. A text's vector depends on its batch only by rounding (~1e-8).
    """

    def __init__(
        self, path: Path, model_dir: Path, spec: ModelSpec, max_tokens: int = MAX_TOKENS
    ) -> None:
        from tokenizers import Tokenizer

        self.path = path
        self.spec = spec
        self.max_tokens = max_tokens
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=spec.max_length)
        padding = self.tokenizer.padding or {}
        self.pad_id = int(padding.get("pad_id", 0))
        self.pad_type_id = int(padding.get("pad_type_id", 0))
        self.tokenizer.no_padding()  # each batch is padded to its own longest text below
        self.session = session(path)
        self.inputs = [i.name for i in self.session.get_inputs()]

    def encode(self, texts: list[str], batch_size: int = 64) -> NDArray[np.float32]:
        """Unit vectors, one row per text."""
        import numpy as np

        if self.spec.lowercase:
            texts = [text.lower() for text in texts]
        encodings = self.tokenizer.encode_batch(texts)
        out = np.zeros((len(texts), self.spec.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        lengths = [len(encodings[i].ids) for i in order]
        for start, end in plan_batches(lengths, batch_size, self.max_tokens):
            rows = order[start:end]
            out[rows] = self._run([encodings[i] for i in rows], lengths[start])
        return out

    def _run(self, encodings: list[Encoding], width: int) -> NDArray[np.float32]:
        import numpy as np

        shape = (len(encodings), width)
        arrays = {
            "input_ids": np.full(shape, self.pad_id, dtype=np.int64),
            "attention_mask": np.zeros(shape, dtype=np.int64),
            "token_type_ids": np.full(shape, self.pad_type_id, dtype=np.int64),
        }
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            arrays["input_ids"][row, :size] = encoding.ids
            arrays["attention_mask"][row, :size] = encoding.attention_mask
            arrays["token_type_ids"][row, :size] = encoding.type_ids
        feed = {name: arrays[name] for name in self.inputs}
        result: NDArray[np.float32] = self.session.run(None, feed)[0]
        return result


def export_once(target: Path, run: Callable[[], object], what: str) -> int:
    """A command's export: nothing when target exists, else run it; one line on failure."""
    if not target.is_file():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        warnings.filterwarnings("ignore")  # the tracer's notes on a graph that is checked after
        try:
            run()
        except Exception as exc:
            print(f"qa: cannot export {what}: {exc}", file=sys.stderr)
            return 1
    print(target)
    return 0


def main(argv: list[str]) -> int:
    """python -m index.onnx_encoder [MODEL_DIR [TARGET]]: export (the bundled model by default)."""
    from index.model_files import bundled_model_path

    model_dir = Path(argv[0]) if argv else bundled_model_path()
    target = Path(argv[1]) if len(argv) > 1 else onnx_file(model_dir)
    return export_once(target, lambda: export(model_dir, target), f"{model_dir} to ONNX")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The ONNX Runtime encoder: sentence-transformers vectors, exported once, no torch to ask."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import Embedder, bundled_model_path
from index.errors import IndexingError
from index.onnx_encoder import ModelSpec, model_spec, onnx_file

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "qa" / "data" / "article.txt"
WIKI = ROOT / "tests" / "data" / "wiki"


def sentences() -> list[str]:
    """100 varied texts: article sentences, short bits, unicode, and texts over 256 tokens."""
    article = ARTICLE.read_text(encoding="utf-8").replace("\n", " ").split(". ")
    paragraphs = [
        part.strip()
        for path in sorted(WIKI.glob("*.txt"))
        for part in path.read_text(encoding="utf-8").split("\n\n")
        if len(part.strip()) > 200
    ]
    short = ["", " ", "a", "?", "Putin", "42", "Macron and Scholz", "  padded  ", "Hi!", "U.S."]
    unicode = [
        "Crème brûlée à la française, s'il vous plaît.",
        "Straße, Größe, Übermaß und Äpfel.",
        "東京は日本の首都です。",
        "北京欢迎你，长城很长。",
        "서울은 한국의 수도입니다.",
        "Москва — столица России.",
        "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
        "القاهرة هي عاصمة مصر.",
        "עברית נכתבת מימין לשמאל.",
        "हिन्दी एक भारतीय भाषा है।",
        "Emoji 🎉🚀👍🏽 and a flag 🇫🇷.",
        "Zero\u200bwidth and com\u0301bining marks, nbsp\u00a0here.",
        "∑ x² ≤ ∞, ½ ≈ 0.5, € £ ¥ §",
        "Tabs\tand\nnewlines\r\nin one text.",
        "ÀÉÎÕÜ ÇÑ ØÅ Æ Œ ß ĳ ŉ",
    ]
    misc = [
        "https://example.com/path?q=1&r=2#frag",
        "def f(x): return x ** 2  # code",
        "E = mc^2; F = m·a; PV = nRT.",
        "!!!???...---",
        "The quick brown fox jumps over the lazy dog. " * 3,
    ]
    wiki = [s for part in paragraphs for s in part.split(". ")]
    long = [" ".join(paragraphs[i : i + 6]) for i in range(0, 20, 2)]  # > 256 tokens each
    others = article[:20] + short + unicode + misc + long
    return others + wiki[::7][: 100 - len(others)]


@pytest.fixture(scope="session")
def reference() -> Embedder:
    return Embedder(engine="torch")


@pytest.mark.slow
def test_onnx_vectors_match_sentence_transformers(cache_home: Path, reference: Embedder) -> None:
    texts = sentences()
    assert len(texts) == 100
    onnx = Embedder(engine="onnx", cache_dir=cache_home / "qa" / "onnx")
    assert onnx.onnx is not None
    lengths = [len(e.ids) for e in onnx.onnx.tokenizer.encode_batch(texts)]
    assert max(lengths) == 256 and min(lengths) == 2  # long texts cut at max_seq_length
    untruncated = reference.model.tokenizer(texts)["input_ids"]
    assert sum(len(ids) > 256 for ids in untruncated) >= 10

    got = onnx.encode(texts)
    want = reference.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)

    assert onnx.backend == "onnx" and reference.backend == "sentence-transformers"
    assert got.shape == (100, 384) and got.dtype == np.float32
    assert float(np.abs(got - want).max()) <= 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    single = onnx.embed_query(texts[0])
    assert np.abs(np.asarray(single) - want[0]).max() <= 1e-5


def test_export_is_written_once_into_the_cache_and_reused(cache_home: Path) -> None:
    cache = cache_home / "qa" / "onnx"
    target = onnx_file(bundled_model_path(), cache)
    assert target.is_file() and target.parent.parent == cache
    before = target.stat()
    embedder = Embedder(engine="auto", cache_dir=cache)
    assert embedder.backend == "onnx"
    assert embedder.encode(["again"]).shape == (1, 384)
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in target.parent.iterdir()] == ["model.onnx"]  # no temp files left


def test_export_runs_the_fused_transformer_operators(cache_home: Path) -> None:
    import onnx

    graph = onnx.load(str(onnx_file(bundled_model_path(), cache_home / "qa" / "onnx"))).graph
    kinds = [node.op_type for node in graph.node]
    assert kinds.count("Attention") == 6  # one per layer of MiniLM-L6
    assert kinds.count("SkipLayerNormalization") == 12
    assert len(kinds) < 100  # the unfused export has over 500 nodes


def test_without_an_export_the_embedder_falls_back_to_sentence_transformers(
    tmp_path: Path, reference: Embedder
) -> None:
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("", encoding="utf-8")
    fallback = Embedder(cache_dir=blocked)
    assert fallback.backend == "sentence-transformers"
    texts = ["Which leaders did Putin call?", "Scholz"]
    assert np.abs(fallback.encode(texts) - reference.encode(texts)).max() == 0.0
    with pytest.raises(IndexingError, match="No ONNX export"):
        Embedder(engine="onnx", cache_dir=blocked).encode(texts)


def test_only_mean_pooled_models_get_the_onnx_path(tmp_path: Path) -> None:
    bundled = bundled_model_path()
    assert model_spec(bundled) == ModelSpec(max_length=256, dimension=384, lowercase=False)

    def variant(name: str, edit: str, change: dict[str, object]) -> Path:
        folder = tmp_path / name
        shutil.copytree(bundled, folder, ignore=shutil.ignore_patterns("*.safetensors"))
        path = folder / edit
        path.write_text(json.dumps({**json.loads(path.read_text()), **change}), encoding="utf-8")
        return folder

    cls = variant("cls", "1_Pooling/config.json", {"pooling_mode_mean_tokens": False})
    prompt = variant("prompt", "config_sentence_transformers.json", {"default_prompt_name": "q"})
    assert model_spec(cls) is None and model_spec(prompt) is None
    assert model_spec(variant("same", "sentence_bert_config.json", {})) == model_spec(bundled)


@pytest.mark.integration
def test_asking_loads_no_torch_nor_langchain_runnables(cache_home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "HF_HUB_OFFLINE": "1"}
    data = str(tmp_path / "data")
    # the cold path of `qa ask`: each of these takes a second or more to import
    heavy = "['torch', 'sentence_transformers', 'transformers', 'langchain_core.runnables']"
    script = (
        "import sys\n"
        "from qa.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "from index import Embedder\n"
        "assert Embedder().dimension == 384\n"
        f"print('loaded:', [m for m in {heavy} if m in sys.modules])\n"
        "sys.exit(status)\n"
    )

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, "--data-dir", data, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "article.txt" in run("sources")  # an empty store indexes the bundled article
    out = run("ask", "Which leaders did Putin call?")
    assert "Macron" in out and "Scholz" in out
    assert out.strip().endswith("loaded: []")

"""The package layout holds: imports flow ui -> qa -> index, and `import qa` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"index": {"index"}, "qa": {"qa", "index"}, "ui": {"ui", "qa", "index"}}


def test_imports_flow_one_way() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in ALLOWED and top not in allowed:
                        wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_importing_qa_and_ui_loads_no_heavy_modules() -> None:
    code = (
        "import sys, qa, index, ui, ui.chat_page, ui.slack_bot\n"
        "heavy = {'torch', 'sentence_transformers', 'chromadb', 'gradio', 'slack_bolt'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stderr


def test_public_names_are_pinned() -> None:
    import index
    import qa

    assert sorted(qa.__all__) == [
        "Answer", "Assistant", "Citation", "QAError", "QuestionError", "Settings",
        "SourceError", "StoreUnavailable", "build_assistant", "bundled_article",
    ]  # fmt: skip
    assert {"Store", "Embedder", "chunk_text", "index_paths", "load_document"} <= set(index.__all__)
    for module in (qa, index):
        for name in module.__all__:
            assert hasattr(module, name)

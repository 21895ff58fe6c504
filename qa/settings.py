"""One frozen settings object, read from QA_* environment variables and CLI flags, checked."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from qa.errors import QAError

# the back ends qa.llm.chat_model builds; "none" answers with quoted sentences, no model
LLM_BACKENDS = ("none", "openai", "ollama")

# the fields whose valid values are known: (is it valid?, what to tell the user when not)
_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "llm": (
        lambda v: v in LLM_BACKENDS,
        f"is not a back end: use one of {', '.join(LLM_BACKENDS)}",
    ),
    "top_k": (lambda v: v >= 1, "must be 1 or more: it is how many passages a question gets"),
    "max_question_chars": (
        lambda v: v >= 1,
        "must be 1 or more: it is the longest question accepted, in characters",
    ),
    "llm_timeout": (
        lambda v: 0 < v < math.inf,
        "must be a positive number of seconds",
    ),
    "port": (lambda v: 0 <= v <= 65535, "is not a port: use 0 to 65535"),
    "max_upload_mb": (lambda v: 0 < v < math.inf, "must be a positive number of megabytes"),
    "max_upload_files": (
        lambda v: v >= 1,
        "must be 1 or more: it is the most files an upload takes",
    ),
    "uploads_per_minute": (
        lambda v: v >= 1,
        "must be 1 or more: it is how many uploads one client may make a minute",
    ),
    "workers": (
        lambda v: v >= 1,
        "must be 1 or more: it is how many processes answer the HTTP API's questions",
    ),
}


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("qa", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Each field `name` is read from the variable `QA_NAME`."""

    data_dir: Path = field(default_factory=default_data_dir)
    chroma_url: str = ""
    collection: str = "documents"
    model_path: str = ""
    top_k: int = 6
    max_question_chars: int = 2000
    bundled: bool = True
    llm: str = "none"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_timeout: float = 30.0
    llm_judge: bool = False  # the LLM also judges its own sentences against the passages
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = field(default="", repr=False)
    uploads: bool = True  # documents may be added from the chat page, HTTP API and Slack
    max_upload_mb: float = 20.0  # per file
    max_upload_files: int = 20  # per upload
    uploads_per_minute: int = 30  # per client
    workers: int = 1  # processes answering `qa serve`'s /api/ask; 1: the server's own

    def __post_init__(self) -> None:
        """Refuse values no part of qa can use, in one line naming their variables."""
        # one place turns data_dir into a Path, "~/qa" or Path("~/qa") alike
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())
        problems = []
        for spec in fields(self):
            value, kind = getattr(self, spec.name), str(spec.type)
            shown = f"QA_{spec.name.upper()}={value!r}"
            if kind in ("int", "float", "bool") and not _is(value, kind):
                problems.append(f"{shown} is not a valid {kind}")
                continue
            if kind == "float":
                object.__setattr__(self, spec.name, float(value))
            valid, why = _RULES.get(spec.name, (None, ""))
            if valid is not None and not valid(value):
                problems.append(f"{shown} {why}")
        if problems:
            raise QAError("; ".join(problems))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then QA_* variables, then the non-None overrides (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = env.get(f"QA_{spec.name.upper()}")
            if raw is not None and raw != "":
                values[spec.name] = _convert(spec.name, raw, spec.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def max_upload_bytes(self) -> int:
        """The largest file an upload takes, in bytes (QA_MAX_UPLOAD_MB)."""
        return int(self.max_upload_mb * 2**20)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _is(value: object, kind: str) -> bool:
    """Whether value fits the field type kind: a bool is no number here, an int is a float."""
    if kind == "bool":
        return isinstance(value, bool)
    numbers: tuple[type, ...] = (int,) if kind == "int" else (int, float)
    return isinstance(value, numbers) and not isinstance(value, bool)


def _convert(name: str, raw: str, kind: Any) -> Any:
    kind = str(kind)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError:
        raise QAError(f"QA_{name.upper()}={raw!r} is not a valid {kind}") from None
    return raw

"""Settings: defaults, QA_* variables, CLI flags, and bad values refused in one line at start."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qa import llm
from qa.cli import build_parser, settings_from
from qa.errors import QAError
from qa.settings import LLM_BACKENDS, Settings, default_data_dir

BAD_LLM = "QA_LLM='gpt' is not a back end: use one of none, openai, ollama"


@pytest.fixture(autouse=True)
def no_qa_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the person running the tests has set, these tests see no QA_* variable."""
    for name in [name for name in os.environ if name.startswith("QA_")]:
        monkeypatch.delenv(name)


# defaults and QA_* variables


def test_defaults() -> None:
    settings = Settings.from_env(env={})
    assert settings == Settings()
    assert settings.data_dir == default_data_dir()
    assert (settings.top_k, settings.max_question_chars, settings.bundled) == (6, 2000, True)
    assert (settings.llm, settings.llm_timeout, settings.llm_judge) == ("none", 30.0, False)
    assert (settings.host, settings.port, settings.collection) == ("127.0.0.1", 7860, "documents")
    assert settings.chroma_url == settings.llm_model == settings.auth == ""
    assert settings.workers == 1  # qa serve answers in its own process


def test_every_field_is_read_from_its_variable_and_converted(tmp_path: Path) -> None:
    env = {
        "QA_DATA_DIR": str(tmp_path),
        "QA_CHROMA_URL": "http://127.0.0.1:8000",
        "QA_COLLECTION": "notes",
        "QA_TOP_K": "3",
        "QA_MAX_QUESTION_CHARS": "500",
        "QA_BUNDLED": "false",
        "QA_LLM": "ollama",
        "QA_LLM_MODEL": "llama3.2",
        "QA_LLM_BASE_URL": "127.0.0.1:11434",
        "QA_LLM_API_KEY": "sk-test",
        "QA_LLM_TIMEOUT": "2.5",
        "QA_LLM_JUDGE": "yes",
        "QA_HOST": "0.0.0.0",
        "QA_PORT": "8080",
        "QA_AUTH": "reader:pw",
        "QA_WORKERS": "3",
    }
    settings = Settings.from_env(env=env)
    assert settings == Settings(
        data_dir=tmp_path,
        chroma_url="http://127.0.0.1:8000",
        collection="notes",
        top_k=3,
        max_question_chars=500,
        bundled=False,
        llm="ollama",
        llm_model="llama3.2",
        llm_base_url="127.0.0.1:11434",
        llm_api_key="sk-test",
        llm_timeout=2.5,
        llm_judge=True,
        host="0.0.0.0",
        port=8080,
        auth="reader:pw",
        workers=3,
    )
    assert isinstance(settings.data_dir, Path)


def test_empty_and_unknown_variables_leave_the_defaults() -> None:
    env = {"QA_TOP_K": "", "QA_LLM": "", "QA_NO_SUCH_SETTING": "1", "qa_port": "1", "TOP_K": "1"}
    assert Settings.from_env(env=env) == Settings()


def test_from_env_reads_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QA_TOP_K", "4")
    assert Settings.from_env().top_k == 4


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "On"])
def test_true_spellings(raw: str) -> None:
    assert Settings.from_env(env={"QA_BUNDLED": raw}).bundled is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off"])
def test_false_spellings(raw: str) -> None:
    assert Settings.from_env(env={"QA_LLM_JUDGE": "true", "QA_BUNDLED": raw}).bundled is False


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("QA_TOP_K", "six", "QA_TOP_K='six' is not a valid int"),
        ("QA_PORT", "80.5", "QA_PORT='80.5' is not a valid int"),
        ("QA_LLM_TIMEOUT", "soon", "QA_LLM_TIMEOUT='soon' is not a valid float"),
        ("QA_BUNDLED", "maybe", "QA_BUNDLED='maybe' is not a valid bool"),
        ("QA_WORKERS", "two", "QA_WORKERS='two' is not a valid int"),
    ],
)
def test_values_that_do_not_convert_name_their_variable(
    variable: str, raw: str, message: str
) -> None:
    with pytest.raises(QAError) as caught:
        Settings.from_env(env={variable: raw})
    assert str(caught.value) == message


def test_the_data_dir_is_a_path_with_the_home_folder_expanded() -> None:
    assert Settings(data_dir="~/qa-store").data_dir == Path.home() / "qa-store"  # type: ignore[arg-type]
    assert Settings.from_env(env={"QA_DATA_DIR": "~/x"}).data_dir == Path.home() / "x"


# validation when the object is made


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"llm": "gpt"}, BAD_LLM),
        ({"llm": "OpenAI"}, "QA_LLM='OpenAI' is not a back end"),
        ({"llm": ""}, "QA_LLM='' is not a back end"),
        ({"top_k": 0}, "QA_TOP_K=0 must be 1 or more"),
        ({"max_question_chars": -5}, "QA_MAX_QUESTION_CHARS=-5 must be 1 or more"),
        ({"llm_timeout": 0}, "QA_LLM_TIMEOUT=0 must be a positive number of seconds"),
        ({"llm_timeout": -1.5}, "QA_LLM_TIMEOUT=-1.5 must be a positive number of seconds"),
        ({"llm_timeout": float("nan")}, "QA_LLM_TIMEOUT=nan must be a positive number"),
        ({"llm_timeout": float("inf")}, "QA_LLM_TIMEOUT=inf must be a positive number"),
        ({"port": -1}, "QA_PORT=-1 is not a port: use 0 to 65535"),
        ({"port": 65536}, "QA_PORT=65536 is not a port: use 0 to 65535"),
        ({"top_k": "3"}, "QA_TOP_K='3' is not a valid int"),
        ({"top_k": True}, "QA_TOP_K=True is not a valid int"),
        ({"llm_timeout": "30"}, "QA_LLM_TIMEOUT='30' is not a valid float"),
        ({"bundled": 1}, "QA_BUNDLED=1 is not a valid bool"),
        ({"workers": 0}, "QA_WORKERS=0 must be 1 or more: it is how many processes answer"),
        ({"workers": -2}, "QA_WORKERS=-2 must be 1 or more"),
        ({"workers": 2.0}, "QA_WORKERS=2.0 is not a valid int"),
    ],
)
def test_a_bad_value_is_refused_when_the_settings_are_made(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(QAError) as caught:
        Settings(**changes)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_bad_variable_fails_in_from_env_with_the_line_a_user_can_act_on() -> None:
    with pytest.raises(QAError) as caught:
        Settings.from_env(env={"QA_LLM": "gpt"})
    assert str(caught.value) == BAD_LLM


def test_every_bad_value_is_named_in_the_one_line() -> None:
    with pytest.raises(QAError) as caught:
        Settings.from_env(env={"QA_LLM": "gpt", "QA_TOP_K": "0", "QA_PORT": "99999"})
    message = str(caught.value)
    assert "\n" not in message
    assert BAD_LLM in message
    assert "QA_TOP_K=0" in message and "QA_PORT=99999" in message


def test_secrets_are_not_shown_in_the_error() -> None:
    with pytest.raises(QAError) as caught:
        Settings(llm="gpt", llm_api_key="sk-secret-1", auth="reader:pw-secret-2")
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        *({"llm": backend} for backend in LLM_BACKENDS),
        {"top_k": 1},
        {"max_question_chars": 1},
        {"llm_timeout": 0.001},
        {"llm_timeout": 5},
        {"port": 0},
        {"port": 65535},
        {"workers": 1},
        {"workers": 2},
    ],
)
def test_values_at_the_edges_are_accepted(changes: dict[str, Any]) -> None:
    settings = Settings(**changes)
    for name, value in changes.items():
        assert getattr(settings, name) == value


def test_a_whole_number_timeout_is_kept_as_a_float() -> None:
    timeout = Settings(llm_timeout=5).llm_timeout
    assert timeout == 5.0 and isinstance(timeout, float)


def test_the_back_ends_are_the_ones_the_llm_module_and_the_cli_accept() -> None:
    assert tuple(LLM_BACKENDS) == tuple(llm.BACKENDS)
    action = next(a for a in build_parser()._actions if a.dest == "llm")
    assert tuple(action.choices or ()) == tuple(LLM_BACKENDS)


# with_


def test_with_makes_a_changed_copy_and_checks_it(tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path, top_k=3)
    changed = base.with_(top_k=9, llm="openai")
    assert (changed.top_k, changed.llm, changed.data_dir) == (9, "openai", tmp_path)
    assert (base.top_k, base.llm) == (3, "none")
    assert base.with_(data_dir="~/elsewhere").data_dir == Path.home() / "elsewhere"
    with pytest.raises(QAError, match="QA_PORT=70000 is not a port"):
        base.with_(port=70000)
    with pytest.raises(TypeError):
        base.with_(no_such_field=1)


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().top_k = 2  # type: ignore[misc]


# CLI flags over variables


def test_flags_override_variables_and_unset_flags_leave_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in {
        "QA_DATA_DIR": str(tmp_path / "env"),
        "QA_COLLECTION": "from-env",
        "QA_LLM_TIMEOUT": "5",
        "QA_LLM_MODEL": "env-model",
        "QA_TOP_K": "2",
    }.items():
        monkeypatch.setenv(name, value)
    args = build_parser().parse_args(
        ["--data-dir", str(tmp_path / "flag"), "--llm", "openai", "--llm-timeout", "7", "sources"]
    )
    settings = settings_from(args)
    assert settings.data_dir == tmp_path / "flag"
    assert (settings.llm, settings.llm_timeout) == ("openai", 7.0)
    assert (settings.collection, settings.llm_model, settings.top_k) == ("from-env", "env-model", 2)


def test_no_flags_and_no_variables_give_the_defaults() -> None:
    assert settings_from(build_parser().parse_args(["sources"])) == Settings()


def test_a_bad_flag_value_is_refused_like_a_bad_variable() -> None:
    args = build_parser().parse_args(["--llm-timeout", "0", "sources"])
    with pytest.raises(QAError, match=r"QA_LLM_TIMEOUT=0\.0 must be a positive number"):
        settings_from(args)


def test_an_unknown_llm_flag_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--llm", "gpt", "sources"])
    assert "invalid choice: 'gpt'" in capsys.readouterr().err


# the qa command stops at start, before any store or model is touched


@pytest.mark.integration
@pytest.mark.parametrize(
    "command", [("serve",), ("ask", "Which leaders did Putin call?"), ("slack",), ("chat",)]
)
def test_a_bad_qa_llm_stops_the_command_at_start(tmp_path: Path, command: tuple[str, ...]) -> None:
    data = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_LLM="bogus", QA_DATA_DIR=str(data), HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, "-m", "qa.cli", *command],
        capture_output=True,
        text=True,
        input="Which leaders did Putin call?\n",
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "qa: error: QA_LLM='bogus' is not a back end: use one of none, openai, ollama\n"
    )
    assert result.stdout == ""  # no chat prompt, no server banner, no answer
    assert not data.exists()  # the store was never opened

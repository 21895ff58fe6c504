"""A question not in the documents' language is declined with a note saying which language
questions work best in, through the `qa` command; other declines carry no such note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.qa.test_cli import qa

pytestmark = pytest.mark.integration

# a short German document of our own: the documents' language is read from it, not assumed
LIBRARY = (
    "Die Stadtbibliothek in Freiburg hat von Montag bis Freitag von neun bis achtzehn Uhr "
    "geöffnet. Am Samstag schließt sie bereits um vierzehn Uhr, und sonntags bleibt sie "
    "geschlossen.\n\nDie Leitung der Bibliothek übernahm im Jahr 2019 Frau Katrin Weber. "
    "Sie ließ den Lesesaal renovieren und richtete eine Abteilung für Kinderbücher ein.\n\n"
    "Ausgeliehene Bücher müssen nach vier Wochen zurückgegeben werden. Eine Verlängerung ist "
    "zweimal möglich, wenn kein anderer Leser das Buch vorgemerkt hat."
)


def ask(question: str, data: Path, **variables: str) -> dict[str, object]:
    result = qa("ask", question, "--json", data=data, **variables)
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_a_german_question_about_an_english_article_is_told_to_ask_in_english(
    tmp_path: Path,
) -> None:
    answer = ask("Welche Staatschefs hat Putin angerufen?", tmp_path)
    assert answer["answered"] is False
    assert answer["notes"] == [
        "This question does not seem to be in English, the documents' language: questions "
        "work best in English."
    ]
    shown = qa("ask", "Welche Staatschefs hat Putin angerufen?", data=tmp_path).stdout
    assert "note: This question does not seem to be in English" in shown


@pytest.mark.parametrize(
    "question", ["What is the capital of Peru?", "Who won the football World Cup in 1998?"]
)
def test_an_english_question_the_article_does_not_answer_gets_no_language_note(
    tmp_path: Path, question: str
) -> None:
    answer = ask(question, tmp_path)
    assert answer["answered"] is False and answer["notes"] == []


def test_the_documents_language_is_read_from_the_documents(tmp_path: Path) -> None:
    docs, data = tmp_path / "docs", tmp_path / "data"
    docs.mkdir()
    (docs / "bibliothek.txt").write_text(LIBRARY, "utf-8")
    indexed = qa("index", str(docs), data=data, QA_BUNDLED="false")
    assert indexed.returncode == 0, indexed.stderr
    english = ask("Who won the football World Cup in 1998?", data, QA_BUNDLED="false")
    assert english["answered"] is False
    assert english["notes"] == [
        "This question does not seem to be in German, the documents' language: questions "
        "work best in German."
    ]
    german = ask("Wer hat die Fußballweltmeisterschaft 1998 gewonnen?", data, QA_BUNDLED="false")
    assert german["answered"] is False and german["notes"] == []

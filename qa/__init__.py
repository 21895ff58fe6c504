"""qa: ask questions of your documents and get answers that quote them verbatim."""

from qa.answer import Answer, Citation
from qa.assistant import Assistant, bundled_article
from qa.errors import QAError, QuestionError, SourceError, StoreUnavailable
from qa.settings import Settings

__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "QAError",
    "QuestionError",
    "Settings",
    "SourceError",
    "StoreUnavailable",
    "build_assistant",
    "bundled_article",
]


def build_assistant(settings: Settings | None = None) -> Assistant:
    """The composition root: the CLI, chat page and Slack bot all start here."""
    return Assistant(settings or Settings.from_env())

"""qa: ask questions of your documents and get answers that quote them verbatim."""

from qa.answer import Answer, Citation
from qa.assistant import Assistant
from qa.errors import QAError, QuestionError, SourceError, StoreUnavailable
from qa.root import build_assistant, bundled_article
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

"""Keep the web stack from calling home: set before gradio is first imported."""

from __future__ import annotations

import os

QUIET = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
}


def quiet() -> None:
    """No analytics, telemetry or hub look-ups (explicit settings in the environment win)."""
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)

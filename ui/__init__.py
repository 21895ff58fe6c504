"""User interfaces over qa: the Gradio chat page, the HTTP API and the Slack bot."""

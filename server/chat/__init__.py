"""The OpenAI-compatible chat surface: ``/v1/chat/completions`` and ``/v1/models``."""

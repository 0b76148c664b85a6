"""Audits: conversations checked against the spec in bulk, judged by an LLM, and
the reports, figures and comparisons of judged runs."""

"""Answering: the gateway every surface calls (``service.AnsweringService`` on
``service_lookups.SpecLookups``) and what makes an answer: the evidence, the lead (bottom line,
confidence), the extractive text, answers about changes, and ``llm/``."""

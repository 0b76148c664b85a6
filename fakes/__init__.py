"""Stand-ins for outside services, shared by the tests and the benchmarks (neither imports the
other): a scripted OpenAI-compatible chat-completions server (:mod:`fakes.openai_server`)."""

"""Feedback on answers: the records and their summary, the store (SQLite or
PostgreSQL) with its limits, and the recorder that writes answers off the answer path."""

"""Precedents: the labelled examples as every surface shows them, the precedent a
pasted reply resembles, and precedent sets as files."""

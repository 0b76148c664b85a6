"""specqa: ask questions of OpenAI's Model Spec.

Packages: ``ingest`` (sources, parse, chunk, build the index), ``server`` (retrieve, answer and
the surfaces over it), ``specqa`` (settings, errors, shared components, the CLI).
"""

__version__ = "0.1.0"

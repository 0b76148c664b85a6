"""Export the sentence-transformers model to ONNX once, so serving never has to load torch.

The artifact is a folder (see :func:`specqa.core.embedding.onnx_artifact`) holding ``model.onnx`` (the
whole sentence-transformers pipeline: transformer, the model's own pooling, then L2
normalisation), ``tokenizer.json`` (the model's fast tokenizer, set to truncate at the model's
length and to pad a batch) and ``meta.json``. An export is checked against sentence-transformers
on probe texts before it is used, and written aside then renamed into place, so a crash or a
second process never sees half an artifact.

Written here because sentence-transformers' own ONNX backend goes through optimum and still
imports torch at load, which is the cost this removes.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specqa.core.embedding import ONNX_EXPORTER_VERSION, OnnxEmbedder, SentenceTransformerEmbedder
from specqa.core.errors import SpecIndexError

__all__ = ["export_onnx"]

MAX_DIFFERENCE = 1e-4
_BATCH_BY_TOKENS = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
_PROBES = [
    "Should the model reveal its system prompt?",
    "  leading and trailing spaces  ",
    "ÜNICODE, emoji 🙂 and MiXeD case",
    "word " * 400,  # longer than the model reads: truncation must match
]


class _Pipeline(torch.nn.Module):
    """The sentence-transformers modules behind positional tensor inputs, then normalised."""

    def __init__(self, model: Any, inputs: list[str]) -> None:
        super().__init__()
        self.model = model
        self.inputs = inputs

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        output = self.model(dict(zip(self.inputs, tensors, strict=True)))
        return torch.nn.functional.normalize(output["sentence_embedding"], p=2, dim=1)


def export_onnx(model_name: str, target: Path, *, threads: int = 1, name: str = "") -> None:
    """Export ``model_name`` (a name or folder; empty: the bundled model) into the folder
    ``target`` under the name ``name``, running torch with ``threads`` threads."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = SentenceTransformerEmbedder(model_name, threads=threads, name=name)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as scratch:
        staging = Path(scratch) / "artifact"
        staging.mkdir()
        try:
            meta = _write_artifact(source, staging)
        except Exception as exc:  # the exporter raises many kinds; all mean "cannot export"
            raise SpecIndexError(
                f"cannot export {source.name} to ONNX ({type(exc).__name__}: {exc}); "
                "set SPECQA_EMBED_BACKEND=torch"
            ) from exc
        meta["max_difference"] = _check(source, staging)
        (staging / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        _move_into_place(staging, target)


def _move_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` with ``staging``; a process that got there first with a good export wins."""
    try:
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except OSError:
        if not OnnxEmbedder.is_current(target):
            raise


def _write_artifact(source: SentenceTransformerEmbedder, folder: Path) -> dict[str, Any]:
    model = source.model
    features = model.preprocess(_PROBES[:2])
    inputs = [
        name for name in ("input_ids", "attention_mask", "token_type_ids") if name in features
    ]
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # its notes on missing torchvision ops
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracing chatter
        torch.onnx.export(
            _Pipeline(model, inputs).eval(),
            tuple(features[name] for name in inputs),
            str(folder / "model.onnx"),
            input_names=inputs,
            output_names=["sentence_embedding"],
            dynamic_shapes={"tensors": tuple(_BATCH_BY_TOKENS for _ in inputs)},
            external_data=False,
            verbose=False,
        )
    _save_tokenizer(model, folder / "tokenizer.json")
    meta: dict[str, Any] = {
        "exporter": ONNX_EXPORTER_VERSION,
        "name": source.name,
        "dimension": source.dimension,
        "max_seq_length": source.max_seq_length,
        "do_lower_case": bool(getattr(model[0], "do_lower_case", False)),
        "inputs": inputs,
        "torch": torch.__version__,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def _save_tokenizer(model: Any, path: Path) -> None:
    from tokenizers import Tokenizer

    fast = model.tokenizer
    tokenizer = Tokenizer.from_str(fast.backend_tokenizer.to_str())
    tokenizer.enable_truncation(max_length=int(model.max_seq_length))
    tokenizer.enable_padding(pad_id=int(fast.pad_token_id or 0), pad_token=str(fast.pad_token))
    tokenizer.save(str(path))


def _check(source: SentenceTransformerEmbedder, folder: Path) -> float:
    """Largest difference from sentence-transformers on the probes; too large is an error."""
    exported = np.asarray(OnnxEmbedder(folder).embed(_PROBES))
    difference = float(np.abs(exported - np.asarray(source.embed(_PROBES))).max())
    if difference > MAX_DIFFERENCE:
        raise SpecIndexError(
            f"the ONNX export of {source.name} differs from sentence-transformers by "
            f"{difference:.2g}; set SPECQA_EMBED_BACKEND=torch"
        )
    return difference

"""ONNX Runtime backends of the Encoder: a local ONNX export of a sentence-transformers model.

The export is made once, offline, from the same local model the torch backend loads: the whole
sentence-transformers pipeline after tokenisation (transformer, pooling, normalisation) is
exported to ``model.onnx``, and ``model-int8.onnx`` is the same graph with its matrix products
in int8 (dynamic quantisation: weights per channel ahead of time, activations at run time).
Both are checked against the sentence-transformers vectors before the export is published,
written into a temporary folder and renamed into place, so a process never sees half an export.
Later loads only read the folder (no torch model is loaded); the export is made again only when
the source model's files change.

Needs the ``onnx`` extra: onnxruntime and onnx.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
import warnings
from contextlib import chdir, contextmanager
from pathlib import Path

import numpy as np

ONNX_BACKENDS = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
META_FILE = "export.json"
EXPORT_FORMAT = 1  # bump when the way the export is made changes: older exports are remade
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# checked before an export is published: sentences of different lengths (so the batch is padded)
# and one longer than the model's maximum sequence length (so truncation is exercised)
CHECK_TEXTS = (
    "Clinical safety of AI tools.",
    "An introduction to machine learning for health and care staff, with worked examples of "
    "evaluating a model before it is deployed in a hospital.",
    "Data",
    " ".join(["Governance, consent and privacy for patient records in digital health."] * 40),
)
MIN_CHECK_COSINE = {"onnx": 0.9999, "onnx-int8": 0.95}


def export_dir(cache_dir: str | os.PathLike, model: str) -> Path:
    """The folder holding the ONNX export of ``model`` under ``cache_dir``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-.") or "model"
    if slug != model:  # a path or an odd name: keep it readable but unique
        slug = f"{slug[-60:]}-{hashlib.sha256(model.encode()).hexdigest()[:8]}"
    return Path(cache_dir) / f"{slug}-onnx"


def source_fingerprint(source: str) -> str:
    """Identifies the source model's files (names, sizes, modification times)."""
    digest = hashlib.sha256(f"format {EXPORT_FORMAT}\n".encode())
    folder = Path(source)
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n"
                          .encode())
    else:  # a model name resolved by sentence-transformers from the local Hugging Face cache
        digest.update(source.encode())
    return digest.hexdigest()


def read_meta(directory: Path) -> dict | None:
    try:
        return json.loads((directory / META_FILE).read_text())
    except (OSError, ValueError):
        return None


def ensure_export(model: str, source: str, directory: Path) -> dict:
    """The export's metadata, exporting first when the folder is missing or stale."""
    fingerprint = source_fingerprint(source)
    meta = read_meta(directory)
    if _complete(directory, meta, fingerprint):
        return meta
    return _export(model, source, directory, fingerprint)


def _complete(directory: Path, meta: dict | None, fingerprint: str) -> bool:
    return bool(meta) and meta.get("fingerprint") == fingerprint and all(
        (directory / name).is_file() for name in ONNX_BACKENDS.values())


class OnnxModel:
    """One exported graph in an ONNX Runtime session, with the tokenizer saved beside it."""

    def __init__(self, directory: Path, backend: str, meta: dict, threads: int | None = None):
        # local: the onnx extra is optional and both are slow imports; only these backends use them
        import onnxruntime
        from transformers import AutoTokenizer

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3  # errors only
        self._session = onnxruntime.InferenceSession(
            str(directory / ONNX_BACKENDS[backend]), options, providers=["CPUExecutionProvider"])
        self._tokenizer = AutoTokenizer.from_pretrained(str(directory))
        self._inputs = tuple(meta["inputs"])
        self.max_length = int(meta["max_seq_length"])
        self.dimension = int(meta["dimension"])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors, batched longest first as sentence-transformers does (less padding)."""
        order = np.argsort([-len(text) for text in texts], kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            features = self._tokenizer([texts[i] for i in rows], padding=True,
                                       truncation="longest_first", max_length=self.max_length,
                                       return_tensors="np")
            feed = {name: features[name].astype(np.int64) for name in self._inputs}
            out[rows] = self._session.run(None, feed)[0]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def _export(model: str, source: str, directory: Path, fingerprint: str) -> dict:
    # local: torch and sentence-transformers are slow imports; only making an export needs them
    import torch
    from sentence_transformers import SentenceTransformer

    class SentenceEmbedding(torch.nn.Module):
        """The sentence-transformers pipeline as a module of positional tensors."""

        def __init__(self, model, names: tuple[str, ...]):
            super().__init__()
            self.model = model
            self.names = names

        def forward(self, *tensors):
            return self.model(dict(zip(self.names, tensors, strict=True)))["sentence_embedding"]

    # eager attention exports as plain MatMul and Softmax nodes, whose matrix products the int8
    # quantisation then covers too: in one interleaved run int8 reached 1.55x torch's texts/s
    # this way against 1.29x with SDPA attention (same vectors either way)
    st = SentenceTransformer(source, device="cpu", model_kwargs={"attn_implementation": "eager"})
    tokenizer = st.tokenizer
    max_length = int(st.max_seq_length or tokenizer.model_max_length)
    names = tuple(name for name in INPUT_NAMES if name in tokenizer(["probe"]))
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        work.chmod(0o755)  # mkdtemp makes it private; the export is read by every process
        # a padded batch, so the traced graph keeps the attention mask
        sample = tokenizer(list(CHECK_TEXTS[:2]), padding=True, truncation="longest_first",
                           max_length=max_length, return_tensors="pt")
        with torch.no_grad(), warnings.catch_warnings():
            # the TorchScript exporter warns that it is deprecated and about traced branches;
            # the check below compares the exported graph with the model itself
            warnings.simplefilter("ignore")
            torch.onnx.export(
                SentenceEmbedding(st, names).eval(), tuple(sample[n] for n in names),
                str(work / ONNX_BACKENDS["onnx"]), input_names=list(names),
                output_names=["sentence_embedding"], opset_version=17, dynamo=False,
                dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names},
                              "sentence_embedding": {0: "batch"}})
        _quantise(work / ONNX_BACKENDS["onnx"], work / ONNX_BACKENDS["onnx-int8"])
        tokenizer.save_pretrained(str(work))
        meta = {"model": model, "fingerprint": fingerprint, "format": EXPORT_FORMAT,
                "inputs": list(names), "max_seq_length": max_length,
                "dimension": int(_dimension(st)), "torch": torch.__version__}
        reference = st.encode(list(CHECK_TEXTS), normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)
        meta["check_min_cosine"] = {}
        for backend in ONNX_BACKENDS:
            vectors = OnnxModel(work, backend, meta).encode(list(CHECK_TEXTS))
            cosine = float(np.min(np.sum(vectors * reference, axis=1)))
            if cosine < MIN_CHECK_COSINE[backend]:
                raise RuntimeError(f"the {backend} export of {model} disagrees with the model "
                                   f"(cosine {cosine:.4f} < {MIN_CHECK_COSINE[backend]})")
            meta["check_min_cosine"][backend] = round(cosine, 6)
        (work / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        _publish(work, directory, fingerprint)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return read_meta(directory) or meta


def _dimension(st) -> int:
    # renamed in sentence-transformers 6; older releases only have the long name
    dimension_of = getattr(st, "get_embedding_dimension", None) or \
        st.get_sentence_embedding_dimension
    return dimension_of()


def _quantise(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation, per channel (much closer to the float model than per tensor)."""
    # local: the quantiser imports onnx (the optional extra); only making an export needs it
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # onnxruntime's pre-processing (symbolic shape inference) fails on this graph, and with
    # only its other steps the quantised model was no closer nor faster: it is left out
    # its shape inference writes scratch files (a model and its external data) into the
    # working directory: run it from a scratch folder that is removed afterwards
    with _quiet_logging(), tempfile.TemporaryDirectory() as scratch, chdir(scratch):
        quantize_dynamic(str(source), str(target), per_channel=True, weight_type=QuantType.QInt8)


@contextmanager
def _quiet_logging():
    """onnxruntime.quantization logs advice ("consider pre-processing") through the root logger
    with ``logging.warning``, which would also give a root logger without handlers a stderr
    handler for good."""
    root = logging.getLogger()
    level, placeholder = root.level, logging.NullHandler()
    root.addHandler(placeholder)
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
        root.removeHandler(placeholder)


def _publish(work: Path, directory: Path, fingerprint: str) -> None:
    """Rename the finished export into place; another process may have published first."""
    try:
        os.rename(work, directory)
        return
    except OSError:
        pass
    if _complete(directory, read_meta(directory), fingerprint):
        return  # an identical export won the race
    stale = directory.with_name(f".{directory.name}-stale-{uuid.uuid4().hex[:8]}")
    os.rename(directory, stale)
    os.rename(work, directory)
    shutil.rmtree(stale, ignore_errors=True)

"""EMBEDDING_BACKEND: the ONNX backends run a local export of the packaged model, made once."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest

from indexes.embedding import DEFAULT_MODEL, Encoder, encoder_name, get_encoder
from indexes.onnx_backend import META_FILE, ONNX_BACKENDS, export_dir
from recommender.config import from_environment
from recommender.indexing.build import build_index
from recommender.indexing.serving import encoder as app_encoder
from recommender.indexing.serving import index_store, model_name
from recommender.storage import db

SENTENCES = [
    "Clinical safety case for an AI triage tool",
    "An introduction to machine learning for nurses, doctors and allied health professionals, "
    "with worked examples of checking a model for bias before it is used with patients.",
    "Information governance: consent, confidentiality and sharing patient records",
    "Leading digital change in a hospital trust",
    "Data",
]
# Measured on these sentences: onnx is the same computation (cosine 1.0000); onnx-int8's
# per-channel int8 weights gave 0.979-0.997 here and a mean of 0.993 over the shipped catalogue
# (benchmarks/encoder_backends.py).
MIN_COSINE = {"onnx": 0.9999, "onnx-int8": 0.97}


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory) -> Path:
    """A VAR_DIR whose models/ folder holds one export of the packaged model for the session."""
    folder = tmp_path_factory.mktemp("var")
    get_encoder(DEFAULT_MODEL, "onnx", folder / "models")
    return folder


@pytest.mark.parametrize("backend", list(ONNX_BACKENDS))
def test_onnx_backend_matches_the_torch_model(backend, var_dir, encoder):
    model = get_encoder(DEFAULT_MODEL, backend, var_dir / "models")
    assert model.name == f"{DEFAULT_MODEL}+{backend}" == encoder_name(DEFAULT_MODEL, backend)
    assert model.export_dir == var_dir / "models" / f"{DEFAULT_MODEL}-onnx"
    vectors = model.encode(SENTENCES, batch_size=2)
    assert vectors.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    assert model.dimension == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(vectors * encoder.encode(SENTENCES), axis=1)
    assert cosine.min() >= MIN_COSINE[backend], cosine
    assert model.encode([]).shape == (0, 384)


def test_export_is_reused_offline(var_dir, monkeypatch):
    folder = export_dir(var_dir / "models", DEFAULT_MODEL)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert set(ONNX_BACKENDS.values()) | {META_FILE} <= set(before)

    def no_network(*args, **kwargs):
        raise AssertionError("the ONNX backend tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    again = Encoder(DEFAULT_MODEL, backend="onnx-int8", cache_dir=var_dir / "models")
    assert again.encode(SENTENCES[:1]).shape == (1, 384)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert [p.name for p in (var_dir / "models").iterdir()] == [folder.name]  # no leftovers


def test_stale_export_is_made_again(var_dir, tmp_path):
    """When the source model's files change, the export is made again and replaces the old."""
    folder = export_dir(tmp_path, DEFAULT_MODEL)
    folder.mkdir()
    for path in export_dir(var_dir / "models", DEFAULT_MODEL).iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    meta = json.loads((folder / META_FILE).read_text())
    (folder / META_FILE).write_text(json.dumps({**meta, "fingerprint": "an older model"}))
    model = Encoder(DEFAULT_MODEL, backend="onnx", cache_dir=tmp_path)
    assert json.loads((folder / META_FILE).read_text())["fingerprint"] == meta["fingerprint"]
    assert model.encode(SENTENCES[:2]).shape == (2, 384)
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="EMBEDDING_BACKEND must be one of torch, onnx, onnx-int8"):
        from_environment({"EMBEDDING_BACKEND": "gpu"})
    with pytest.raises(ValueError, match="EMBEDDING_BACKEND"):
        get_encoder(DEFAULT_MODEL, "openvino")
    assert from_environment({})["EMBEDDING_BACKEND"] == "torch"
    assert from_environment({"EMBEDDING_BACKEND": " ONNX-int8 "})["EMBEDDING_BACKEND"] == \
        "onnx-int8"
    assert encoder_name(DEFAULT_MODEL, "torch") == DEFAULT_MODEL


def test_index_records_the_backend(tmp_path, framework, shipped_resources, make_app, var_dir,
                                   encoder):
    """An index built with the ONNX backend names it, so torch vectors never search it."""
    torch_model = encoder
    app = make_app(tmp_path, framework, shipped_resources[:10], EMBEDDING_BACKEND="onnx-int8",
                   VAR_DIR=str(var_dir))
    with app.app_context():
        build_index(db.session(), index_store(), torch_model)
        assert index_store().manifest()["model"] == DEFAULT_MODEL
        outcome = build_index(db.session(), index_store(), app_encoder())
        assert outcome.status == "built"  # a different model: not the torch index reused
        manifest = index_store().manifest()
        assert manifest["model"] == f"{DEFAULT_MODEL}+onnx-int8" == model_name()
        assert manifest["count"] == 10
        assert app_encoder().export_dir.parent == var_dir / "models"
        assert build_index(db.session(), index_store(), app_encoder()).status == "unchanged"

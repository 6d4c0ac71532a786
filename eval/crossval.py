"""Out-of-fold measure of the drafter's calibration on a set:
``python -m eval.crossval --dataset eval/datasets/dev.jsonl --data-dir DATA [--folds 4] [--seeds 0 1]``.

``accueil eval --calibrate`` fits the sentence scorer, the confidence model and the threshold on the set it then
reports on, so a change that adds features can win on dev by fitting dev. Here each fold's questions are drafted with
a sentence scorer fitted on the other folds, judged by a confidence model and a threshold fitted on the other folds'
drafts (same rules as ``eval.calibrate``), and the held-out verdicts of all folds are pooled. The order of the
questions is shuffled by each seed. The calibration file is read, never written.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from eval import harness
from eval.calibrate import Targets, choose_threshold, fit_confidence, fit_units, held_out, rescore
from eval.dataset import Item, load_dataset
from eval.metrics import Record, summarise
from eval.run import EVAL_TODAY
from server.core.answer.assistant import Assistant
from server.core.config import get_settings

REPORTED = ("correctness", "selective_accuracy", "abstain_recall", "over_abstention", "hit@5")


def out_of_fold(assistant: Assistant, items: Sequence[Item], folds: int, seed: int, targets: Targets) -> list[Record]:
    """The records of every question, each decided by models and a threshold fitted without its fold."""
    order = list(items)
    random.Random(seed).shuffle(order)
    held: list[Record] = []
    for k in range(folds):
        kept = {item.id for item in order[k::folds]}
        train = [item for item in order if item.id not in kept]
        assistant.calibration.units = fit_units(assistant, train)
        records = harness.run(assistant, order, progress=False)
        fitted = [r for r in records if r.id not in kept]
        rescore(records, fit_confidence(fitted))
        threshold, _ = choose_threshold(held_out(fitted), targets.accuracy, targets.recall, targets.min_coverage)
        for r in records:
            if r.id in kept:
                r.status = "answered" if not r.guarded and r.confidence >= threshold else "abstained"
                held.append(r)
    return held


def main(argv: Sequence[str] | None = None) -> None:
    """Print the pooled out-of-fold figures for each seed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=Path("eval/datasets/dev.jsonl"))
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args(argv)
    settings = get_settings().model_copy(update={"data_dir": args.data_dir})
    items = load_dataset(args.dataset)
    for seed in args.seeds:
        records = out_of_fold(Assistant(settings, EVAL_TODAY), items, args.folds, seed, Targets())
        m = summarise(records)
        sys.stdout.write(f"graine {seed} : " + ", ".join(f"{key} {m[key]}" for key in REPORTED) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

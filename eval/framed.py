"""A question set as citizens send it, with who they are around the question: ``python -m eval.framed --dataset F
--out G``.

The evaluation sets hold bare questions (« Quels sont les horaires de la mairie ? »); a message to the town hall
often says who writes, and how to call back: « Bonjour, je suis Mme Perrin. Quels sont les horaires de la mairie ?
Cordialement, Jeanne Perrin, 06 39 98 12 34 ». The person does not change which document answers, nor the answer;
a draft should be the same. Each question of ``F`` is written to ``G`` inside one of a few such frames (chosen by
the question's id, so the file is the same on every run; names and numbers fictitious), every other field kept, and
``accueil eval --dataset G`` measures the drafts as for ``F``: the difference is what the frame costs.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

# Who writes: a first name, a family name, a title and a phone number (fictitious: the 06 39 98 range is reserved for
# fiction by the ARCEP).
PEOPLE = (
    ("Jeanne", "Perrin", "Mme", "06 39 98 12 34"),
    ("Karim", "Benali", "M.", "06 39 98 52 14"),
    ("Lucie", "Marchal", "Mme", "07 00 11 22 33"),
    ("Thomas", "Lefebvre", "M.", "06 39 98 64 20"),
    ("Aïcha", "Diallo", "Mme", "06 39 98 31 41"),
    ("Paul", "Girard", "M.", "06 39 98 73 05"),
)
# How the question is framed: {q} the question, then the person.
FRAMES = (
    "Bonjour, je suis {title} {last}. {q} Cordialement, {first} {last}",
    "Bonjour, je m'appelle {first} {last}. {q} Merci d'avance.",
    "{q} Merci. {first} {last}, {phone}",
    "Bonjour Madame, Monsieur, {q} Vous pouvez me rappeler au {phone}. Bien à vous, {title} {last}",
)


def framed(item: dict[str, object]) -> dict[str, object]:
    """The dataset line with its question inside a frame (chosen by its id)."""
    key = zlib.crc32(str(item["id"]).encode())
    first, last, title, phone = PEOPLE[key % len(PEOPLE)]
    frame = FRAMES[(key // len(PEOPLE)) % len(FRAMES)]
    question = frame.format(q=str(item["question"]).strip(), first=first, last=last, title=title, phone=phone)
    return {**item, "question": question}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the framed question set."""
    parser = argparse.ArgumentParser(prog="python -m eval.framed", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="question set (JSONL, accueil eval's format)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    lines = [json.loads(line) for line in args.dataset.read_text(encoding="utf-8").splitlines() if line.strip()]
    args.out.write_text("".join(json.dumps(framed(x), ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    sys.stdout.write(f"{len(lines)} questions dans leur message : {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

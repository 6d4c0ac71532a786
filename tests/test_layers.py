"""The two systems of the core stay apart: answering imports nothing of the desk, the database or the web.

``server/core/answer`` is pure computation over an index (question → retrieval → confidence → draft or
abstention); ``server/core/desk`` is the database side (requests, people, trail, FAQ, mail, erasure). The shared
pieces beside them (settings, errors, text, personal data, disk room) import neither. Read from the source, so a
lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "server" / "core"

FORBIDDEN = {
    "answer": ("sqlalchemy", "alembic", "fastapi", "starlette", "server.core.desk", "server.web", "server.cli"),
    "desk": ("fastapi", "starlette", "server.web", "server.cli"),
    "shared": ("sqlalchemy", "fastapi", "server.core.answer", "server.core.desk", "server.web", "server.cli"),
}
OUTSIDE = ("ingest", "eval")  # the core is imported by them, never the other way round


def imported(path: Path) -> set[str]:
    """Every module name ``path`` imports, at any depth of its code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(part: str) -> list[Path]:
    """The modules of one part of the core."""
    if part == "shared":
        return sorted(CORE.glob("*.py"))
    return sorted((CORE / part).glob("*.py"))


def reaching(path: Path, bad: tuple[str, ...]) -> list[str]:
    """The imports of ``path`` that are, or are inside, one of the ``bad`` modules."""
    return sorted(n for n in imported(path) if any(n == b or n.startswith(b + ".") for b in bad))


def offending(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    """The imports of ``path`` that its part of the core may not make."""
    return reaching(path, forbidden + OUTSIDE)


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_each_part_imports_only_what_it_may(part: str) -> None:
    found = {p.name: offending(p, FORBIDDEN[part]) for p in modules(part)}
    assert modules(part), f"server/core/{part} is empty"
    assert {k: v for k, v in found.items() if v} == {}


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """A module of answer/ that reaches the database is reported (the check is not blind)."""
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from server.core.desk import tables\n    import sqlalchemy\n")
    assert offending(sneaky, FORBIDDEN["answer"]) == ["server.core.desk", "server.core.desk.tables", "sqlalchemy"]


def test_ingest_writes_the_index_without_the_desk_or_the_web() -> None:
    """Ingestion reads files and writes an index generation: it may use answer's index and shared pieces, no more."""
    bad = ("sqlalchemy", "fastapi", "starlette", "server.core.desk", "server.web", "server.cli", "eval")
    paths = sorted((CORE.parents[1] / "ingest").rglob("*.py"))
    assert paths
    found = {str(p.relative_to(CORE.parents[1])): reaching(p, bad) for p in paths}
    assert {k: v for k, v in found.items() if v} == {}

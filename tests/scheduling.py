"""How pytest-xdist shares the tests between its workers (``make test`` runs the slow tier on two).

A work unit is a test module (its module fixtures start once), except that every module with a test that drives
Chromium, or that checks what those tests submitted (``after_browser_tests``), goes to one unit, ``navigateur``: that
check reads what the browser tests of its own process submitted, so they must all run in it, before it.

Only the workers know which test uses which fixture; the controller, which makes the units, sees node ids. So each
worker writes, once it has collected, the unit of each module to the run's folder (``tests/session_index.py``), and the
scheduler reads it when it makes the units, which is after every worker has sent its collection. (xdist's own
``--dist loadgroup`` marks cannot serve: it renames node ids, which pytest 9.2 no longer lets a plugin do.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

BROWSER_UNIT = "navigateur"
_FILE = "unites.json"


def note_units(items: list[pytest.Item], run: Path) -> None:
    """In a worker, write the unit of each collected module to ``run`` (every worker writes the same)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    browsing = {
        item.nodeid.split("::", 1)[0]
        for item in items
        if "browser" in getattr(item, "fixturenames", ()) or item.get_closest_marker("after_browser_tests")
    }
    units = dict.fromkeys(browsing, BROWSER_UNIT)
    part = run / f"{_FILE}.{os.environ['PYTEST_XDIST_WORKER']}"
    part.write_text(json.dumps(units), encoding="utf-8")
    part.replace(run / _FILE)


class ModuleScheduling(LoadScopeScheduling):
    """xdist's scheduling by scope, with a module as the scope and the browser modules as one."""

    def __init__(self, config: pytest.Config, run: Path, log: object = None) -> None:
        super().__init__(config, log)  # type: ignore[arg-type]
        self._run = run
        self._units: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        if self._units is None:
            self._units = json.loads((self._run / _FILE).read_text(encoding="utf-8"))
        return self._units.get(module, module)

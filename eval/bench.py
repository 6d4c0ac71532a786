"""``accueil bench``: speed and memory on the real service-public data, against the targets of the project.

Benchmarks, never timed tests: each step runs the real commands (ingest and serve in their own processes, so that
their peak memory is theirs) over ``../shared/data/service-public`` and writes ``bench.json`` and ``bench.md``.
Steps: full ingest of the three zips, re-ingest with no change and with 1 % of the fiches changed, warm ``ask``
latency on the 388-fiche index and on the full index, the HTTP draft API under concurrent clients on loopback,
and the service's peak memory with the full index. The ``dense`` step measures hit@5 and p95 of ``ask`` with dense
search in memory and by the vector store's query, on the 388-fiche index embedded and on a ``chroma run`` server.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.dataset import Item, load_dataset
from eval.metrics import rank_of_gold
from eval.servers import running
from server.core.answer.index import MANIFEST, current_generation
from server.core.config import REPO_ROOT, Settings

ZIPS = (
    "vosdroits-particuliers-2020-11.zip",
    "vosdroits-professionnels-2020-11.zip",
    "vosdroits-associations-2020-11.zip",
)
SUBSET = "mairie-subset-2020-11"
QUESTIONS = (REPO_ROOT / "eval" / "datasets" / "dev.jsonl", REPO_ROOT / "eval" / "datasets" / "test.jsonl")
CHANGED_SHARE = 0.01
_DESCRIPTION = re.compile(rb"(<dc:description>)")
_ADDED = "Texte ajouté pour la mesure. ".encode()

# name -> (target, "max" or "min", unit): what the project promises on a 2-core machine.
TARGETS: dict[str, tuple[float, str, str]] = {
    "ingest_full_s": (1200.0, "max", "s"),  # #20: 20 min with the multilingual model (15 min was MiniLM's)
    "reingest_unchanged_s": (10.0, "max", "s"),
    "ask_full_p95_ms": (150.0, "max", "ms"),
    "http_16_drafts_per_s": (60.0, "min", "/s"),
    "first_draft_s": (2.0, "max", "s"),
    "http_16_errors": (0.0, "max", ""),
    "service_peak_mb": (1536.0, "max", "Mo"),
}


@dataclass
class Bench:
    """Where the benchmark works and what it found."""

    work: Path
    shared: Path
    env: dict[str, str]
    seconds: float
    results: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = lambda _: None
    last_cpu_s: float = 0.0

    def accueil(self, *args: str) -> tuple[float, float]:
        """Run ``accueil ARGS`` in its own process: (wall seconds, peak resident memory in MB).

        The CPU seconds it used, its own and its children's (the encoding processes), are kept in ``last_cpu_s``: on a
        machine shared with other work the wall time grows, the CPU time much less.
        """
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", *args],
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        # Linux counts in it the children the process waited for (the ingest's encoding processes).
        self.last_cpu_s = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode != 0:
            raise RuntimeError(f"accueil {' '.join(args)} a échoué ({proc.returncode}) : {errors[-2000:]}")
        return wall, usage.ru_maxrss / 1024


def _manifest_counts(data_dir: Path) -> tuple[int, int]:
    gen = current_generation(data_dir / "index")
    assert gen is not None
    manifest = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    return len(manifest["docs"]), sum(len(d.get("chunks", [])) for d in manifest["docs"].values())


def _change_fiches(zip_path: Path, share: float) -> int:
    """Rewrite ``zip_path`` with a sentence added to the description of ``share`` of its fiches."""
    with zipfile.ZipFile(zip_path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    step = max(round(1 / share), 1)
    changed = 0
    tmp = zip_path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for i, (info, data) in enumerate(members):
            if i % step == 0 and _DESCRIPTION.search(data):
                data = _DESCRIPTION.sub(lambda m: m.group(1) + _ADDED, data, count=1)
                changed += 1
            out.writestr(info, data)
    os.replace(tmp, zip_path)
    return changed


def step_ingest(b: Bench) -> None:
    """Full ingest of the three zips, then again unchanged, then with 1 % of the fiches changed."""
    src = b.work / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name in ZIPS:
        shutil.copy(b.shared / name, src / name)
    data = b.work / "full"
    b.log("Ingestion complète des 3 zips…")
    wall, peak = b.accueil("ingest", str(src), "--data-dir", str(data))
    docs, chunks = _manifest_counts(data)
    b.results.update(
        ingest_full_s=round(wall, 1),
        ingest_full_cpu_s=round(b.last_cpu_s, 1),
        ingest_docs=docs,
        ingest_chunks=chunks,
        ingest_docs_per_s=round(docs / wall, 1),
        ingest_chunks_per_s=round(chunks / wall, 1),
        ingest_peak_mb=round(peak),
    )
    b.log("Réingestion sans changement…")
    wall, _ = b.accueil("ingest", str(src), "--data-dir", str(data))
    b.results["reingest_unchanged_s"] = round(wall, 1)
    changed = sum(_change_fiches(src / name, CHANGED_SHARE) for name in ZIPS)
    b.log(f"Réingestion avec {changed} fiches modifiées…")
    wall, _ = b.accueil("ingest", str(src), "--data-dir", str(data))
    b.results.update(reingest_changed_s=round(wall, 1), reingest_changed_fiches=changed)


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(int(q * len(ordered)), len(ordered) - 1)], 1)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": round(statistics.fmean(ordered), 1)}


def _items() -> list[Item]:
    return [item for path in QUESTIONS for item in load_dataset(path)]


def _questions() -> list[str]:
    return [item.question for item in _items()]


def _ask_latency(settings: Settings) -> dict[str, float]:
    """Warm ``ask`` latency percentiles (ms) over the dev and test questions, and hit@5 over those with a source."""
    from server.core.answer.assistant import Assistant

    assistant = Assistant(settings)
    items = _items()
    for item in items[:20]:  # warm-up: model, index and caches loaded
        assistant.draft(item.question)
    times = []
    hits = []
    for item in items:
        start = time.perf_counter()
        result = assistant.draft(item.question)
        times.append((time.perf_counter() - start) * 1000)
        if item.gold_sources:
            rank = rank_of_gold([s.doc_id for s in result.sources], item.gold_sources)
            hits.append(rank is not None and rank <= 5)
    return {**_percentiles(times), "hit@5": round(sum(hits) / len(hits), 4) if hits else 0.0}


def step_ask(b: Bench, settings_for: Callable[[Path], Settings]) -> None:
    """Warm ``ask`` latency (extractive, in process) on the 388-fiche index and on the full index."""
    subset = b.work / "subset"
    b.log("Index des 388 fiches…")
    b.accueil("ingest", str(b.shared / SUBSET), "--data-dir", str(subset))
    for name, data in (("subset", subset), ("full", b.work / "full")):
        b.log(f"Latence de ask ({name})…")
        lat = _ask_latency(settings_for(data))
        b.results.update({f"ask_{name}_{k}" if k == "hit@5" else f"ask_{name}_{k}_ms": v for k, v in lat.items()})


def _dense_both_ways(b: Bench, settings: Settings, name: str) -> None:
    for mode in ("memory", "chroma"):
        b.log(f"Recherche dense {mode} ({name})…")
        lat = _ask_latency(settings.model_copy(update={"dense_search": mode}))
        b.results[f"dense_{name}_{mode}_hit@5"] = lat["hit@5"]
        b.results[f"dense_{name}_{mode}_p95_ms"] = lat["p95"]
        b.results[f"dense_{name}_{mode}_p50_ms"] = lat["p50"]


def step_dense(b: Bench, settings_for: Callable[[Path], Settings]) -> None:
    """hit@5 and ``ask`` latency with dense search in memory and by the vector store: on the 388-fiche index
    embedded, then on the same fiches ingested into a ``chroma run`` server on loopback."""
    subset = b.work / "subset"
    if current_generation(subset / "index") is None:
        b.log("Index des 388 fiches…")
        b.accueil("ingest", str(b.shared / SUBSET), "--data-dir", str(subset))
    _dense_both_ways(b, settings_for(subset), "embedded")
    served = b.work / "subset-server"
    shutil.rmtree(served, ignore_errors=True)  # a fresh server store each run: its collections match this index
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    url = "http://127.0.0.1:18766"
    cmd = [chroma, "run", "--path", str(served / "chroma"), "--host", "127.0.0.1", "--port", "18766"]
    served.mkdir(parents=True)
    with running(cmd, f"{url}/api/v2/heartbeat", b.work / "chroma.log", seconds=120):
        b.log("Index des 388 fiches sur un serveur Chroma…")
        b.env["ACCUEIL_CHROMA_URL"] = url
        try:
            b.accueil("ingest", str(b.shared / SUBSET), "--data-dir", str(served / "data"))
        finally:
            del b.env["ACCUEIL_CHROMA_URL"]
        _dense_both_ways(b, settings_for(served / "data").model_copy(update={"chroma_url": url}), "server")


def _load(url: str, token: str, clients: int, seconds: float) -> dict[str, Any]:
    questions = _questions()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, timeout=60, headers=headers) as http:
            i = n
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    code = http.post("/api/v1/drafts", json={"question": questions[i % len(questions)]}).status_code
                except httpx.HTTPError:
                    code = 0
                with lock:
                    latencies.append((time.perf_counter() - start) * 1000)
                    statuses[code] = statuses.get(code, 0) + 1
                i += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    begin = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - begin
    ok = statuses.get(200, 0)
    return {
        "drafts_per_s": round(ok / wall, 1),
        "errors": sum(v for k, v in statuses.items() if k != 200),
        **{f"{k}_ms": v for k, v in _percentiles(latencies).items()},
    }


def _first_draft(url: str, token: str) -> float:
    """Seconds of the first draft asked once the service answers: what the first agent after a restart waits."""
    start = time.perf_counter()
    response = httpx.post(
        f"{url}/api/v1/drafts",
        json={"question": _questions()[0]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    response.raise_for_status()
    return round(time.perf_counter() - start, 2)


def _peak_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(match.group(1)) / 1024 if match else 0.0
    return total


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    except OSError:
        return []
    return [int(p) for p in out.split()]


def step_http(b: Bench, settings_for: Callable[[Path], Settings], workers: int) -> None:
    """The draft API under 8, 16 and 32 clients on loopback, then the service's peak memory."""
    from server.core.desk import auth
    from server.core.desk.db import Database

    data = b.work / "full"
    with Database(settings_for(data)).session() as db:
        if auth.find_user(db, "bench") is None:
            auth.add_user(db, "bench", "agent", "mot-de-passe-bench-2026")
        token = auth.create_token(db, "bench", "bench")
    url = "http://127.0.0.1:18765"
    cmd = [sys.executable, "-m", "server", "serve", "--data-dir", str(data), "--port", "18765"]
    with running([*cmd, "--workers", str(workers)], f"{url}/health", b.work / "serve.log", b.env, seconds=300) as proc:
        b.results["first_draft_s"] = _first_draft(url, token)
        _load(url, token, 4, 10)  # every worker has loaded the model and the index at start; this warms the rest
        for clients in (8, 16, 32):
            b.log(f"API HTTP, {clients} clients pendant {b.seconds:.0f} s…")
            for k, v in _load(url, token, clients, b.seconds).items():
                b.results[f"http_{clients}_{k}"] = v
        pids = [proc.pid, *_children(proc.pid)] if workers > 1 else [proc.pid]
        b.results["service_peak_mb"] = round(_peak_mb(pids))
        b.results["service_workers"] = workers


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value, met or not, and by how much it is missed."""
    rows = []
    for name, (goal, way, unit) in TARGETS.items():
        value = results.get(name)
        if value is None:
            rows.append({"name": name, "goal": goal, "way": way, "unit": unit, "value": None, "met": None, "gap": None})
            continue
        met = value <= goal if way == "max" else value >= goal
        gap = None if met else round(value - goal, 1)
        rows.append({"name": name, "goal": goal, "way": way, "unit": unit, "value": value, "met": met, "gap": gap})
    return rows


LABELS = {
    "ingest_full_s": "Ingestion complète (7 591 fiches)",
    "reingest_unchanged_s": "Réingestion sans changement",
    "ask_full_p95_ms": "ask p95, index complet",
    "http_16_drafts_per_s": "Brouillons/s, 16 clients HTTP",
    "http_16_errors": "Erreurs, 16 clients HTTP",
    "service_peak_mb": "Mémoire du service (pic), index complet",
    "first_draft_s": "Premier brouillon après le démarrage du service",
}


def markdown(report: dict[str, Any]) -> str:
    """The table kept in the README."""
    r = report["results"]
    lines = [
        f"Mesuré le {report['date']} sur {report['machine']} ; modèle d'embeddings `{report.get('model', '?')}`, "
        f"moteur `{report['backend']}` (sans effet sur e5-small, toujours en ONNX int8).",
        "",
        "| mesure | valeur | objectif | atteint |",
        "| --- | --- | --- | --- |",
    ]
    for v in report["verdicts"]:
        goal = f"{'≤' if v['way'] == 'max' else '≥'} {v['goal']:g} {v['unit']}".strip()
        if v["value"] is None:
            state = "non mesuré"
        elif v["met"]:
            state = "oui"
        else:
            state = f"non (écart {v['gap']:+g} {v['unit']})".replace(" )", ")")
        value = "—" if v["value"] is None else f"{v['value']:g} {v['unit']}".strip()
        lines.append(f"| {LABELS[v['name']]} | {value} | {goal} | {state} |")
    lines += ["", "| détail | valeur |", "| --- | --- |"]
    lines += [f"| `{k}` | {v} |" for k, v in sorted(r.items())]
    return "\n".join(lines) + "\n"


def machine() -> str:
    """A short description of this machine."""
    return f"{platform.machine()}, {os.cpu_count()} cœurs, Python {platform.python_version()}"


def run(
    work: Path,
    shared: Path,
    backend: str,
    seconds: float,
    workers: int,
    steps: tuple[str, ...],
    settings_for: Callable[[Path], Settings],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Run the chosen steps and return the report (also written as bench.json and bench.md in ``work``)."""
    b = Bench(work, shared, {"ACCUEIL_EMBEDDING_BACKEND": backend}, seconds, log=log)
    work.mkdir(parents=True, exist_ok=True)
    previous = work / "bench.json"
    if previous.exists():  # a run of some steps only keeps the other steps' figures
        b.results.update(json.loads(previous.read_text(encoding="utf-8")).get("results", {}))
    if "ingest" in steps:
        step_ingest(b)
    if "ask" in steps:
        step_ask(b, settings_for)
    if "http" in steps:
        step_http(b, settings_for, workers)
    if "dense" in steps:
        step_dense(b, settings_for)
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "backend": backend,
        "model": settings_for(work).embedding_model,
        "results": b.results,
        "verdicts": verdicts(b.results),
    }
    (work / "bench.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (work / "bench.md").write_text(markdown(report), encoding="utf-8")
    return report

"""A bounded load test on loopback: 32 concurrent clients for 60 s (ACCUEIL_LOAD_SECONDS) on the draft API and the
public pages. No server error is allowed, and every request created under load has its full audit trail.

This checks correctness under concurrency, not speed: throughput is printed, never asserted (benchmarks are
``accueil bench``'s business).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from itertools import count

import httpx
from sqlalchemy import select

from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, Request
from tests.conftest import LiveServer

CLIENTS = 32
SECONDS = float(os.environ.get("ACCUEIL_LOAD_SECONDS", "60"))
QUESTIONS = (
    "Combien coûte une carte d'identité ?",
    "Quels sont les horaires de la mairie le samedi ?",
    "Quand passe la collecte des encombrants ?",
    "Comment inscrire mon enfant à la cantine ?",
    "What time does the town hall open?",
)
PUBLIC = ("/faq", "/faq?q=horaires", "/question?q=horaires+de+la+mairie", "/confidentialite")


def test_32_clients_for_a_minute_get_no_server_error(live_server: LiveServer) -> None:
    statuses: Counter[int] = Counter()
    created: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    addresses = count(1)
    stop = time.monotonic() + SECONDS

    def api_client(n: int) -> None:
        headers = {"Authorization": f"Bearer {live_server.token}"}
        with httpx.Client(base_url=live_server.url, timeout=120, headers=headers) as client:
            i = 0
            while time.monotonic() < stop:
                question = f"{QUESTIONS[(n + i) % len(QUESTIONS)]} ({n}-{i})"
                try:
                    if i % 2:
                        r = client.post("/api/v1/drafts", json={"question": question})
                    else:
                        r = client.post("/api/v1/requests", json={"question": question, "channel": "telephone"})
                        if r.status_code in (200, 201):
                            with lock:
                                created.append(int(r.json()["id"]))
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    statuses[r.status_code] += 1
                i += 1

    def public_client(n: int) -> None:
        with httpx.Client(base_url=live_server.url, timeout=120) as client:
            i = 0
            while time.monotonic() < stop:
                # A fresh address each time: this measures the service, not the per-address limiter.
                ip = next(addresses)
                headers = {"X-Forwarded-For": f"10.{ip // 65536 % 256}.{ip // 256 % 256}.{ip % 256}"}
                try:
                    r = client.get(PUBLIC[(n + i) % len(PUBLIC)], headers=headers)
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    statuses[r.status_code] += 1
                i += 1

    threads = [threading.Thread(target=api_client if n % 2 == 0 else public_client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 180)
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    print(f"\ncharge : {total} réponses en {elapsed:.0f} s ({total / elapsed:.1f}/s), {dict(statuses)}")
    assert not errors, errors[:5]
    assert not any(code >= 500 for code in statuses), statuses
    assert set(statuses) <= {200, 201}, statuses
    assert created and total > CLIENTS
    with Database(live_server.settings).session() as db:
        rows = db.scalars(select(Request).where(Request.id.in_(created))).all()
        assert len(rows) == len(created)
        actions: dict[int, list[str]] = {rid: [] for rid in created}
        for event in db.scalars(select(AuditEvent).where(AuditEvent.request_id.in_(created))):
            actions[event.request_id].append(event.action)  # type: ignore[index]
    assert all(a[:2] == ["creee", "brouillon_genere"] for a in actions.values()), actions

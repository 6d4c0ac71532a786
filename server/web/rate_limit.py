"""Rate limiting of the public pages: a sliding window of requests per client address, in this worker's memory.

Each service worker counts on its own (N workers allow up to N times the limit); the per-address limit of the
question form, which matters more, is counted in the database and holds across workers.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from server.core.errors import RateLimited

MAX_CLIENTS = 50_000


class SlidingWindow:
    """At most ``limit`` hits per ``seconds`` for each key."""

    def __init__(self, limit: int, seconds: float = 60.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> None:
        """Count one request, or raise RateLimited."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) > MAX_CLIENTS:
                self._forget_idle(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = int(hits[0] + self.seconds - now) + 1
                raise RateLimited(f"Trop de requêtes : réessayez dans {wait} secondes.", retry_after=wait)
            hits.append(now)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.seconds]:
            del self._hits[key]

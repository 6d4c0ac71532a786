"""What uvicorn's access log may say about a request: its path without the query string (an inbox search, a
stream token), and private links' tokens replaced by ``…``.

``accueil serve`` hands :func:`log_config` to uvicorn; every worker then filters its own access log.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

# Paths whose last segment is a private token (the reply link, the address confirmation link).
_PRIVATE = re.compile(r"^(/reponse/|/question/confirmer/)[^/?#]+")


def redact(path: str) -> str:
    """The path as it may be logged: no query string, no private token."""
    return _PRIVATE.sub(r"\1…", path.split("?", 1)[0])


class RedactPaths(logging.Filter):
    """Rewrite the path of uvicorn's access records (their third argument) before they are written."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, with its path redacted."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, with the access log going through :class:`RedactPaths`."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_paths"] = {"()": "server.web.access_log.RedactPaths"}
    config["handlers"]["access"]["filters"] = ["redact_paths"]
    return config

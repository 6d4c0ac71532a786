"""Routes: ``pages`` (server-rendered HTML for agents) and ``api`` (JSON under /api/v1)."""

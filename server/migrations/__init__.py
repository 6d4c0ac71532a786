"""Alembic migrations of the database (run by ``server.core.db.migrate`` at start)."""

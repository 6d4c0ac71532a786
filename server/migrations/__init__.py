"""Alembic migrations of the database (run by ``server.core.desk.db.migrate`` at start)."""

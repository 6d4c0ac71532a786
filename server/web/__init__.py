"""The web layer: FastAPI app, routes and templates."""

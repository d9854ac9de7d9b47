"""HTTP adapter: the FastAPI application (JSON API under /api, OpenAPI at /docs)."""

"""Storage adapter: SQLAlchemy 2 on SQLite (embedded default, WAL) and PostgreSQL (production)."""

"""Command line: administration, import, export, serve. Every command honours CHARGELEDGER_DATABASE_URL."""

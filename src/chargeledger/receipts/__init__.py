"""Receipts for drivers: the settled price breakdown as a PDF (WeasyPrint)."""

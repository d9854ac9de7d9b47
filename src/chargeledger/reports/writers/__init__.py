"""File writers; each reads only the report's column declaration and the typed values."""

from __future__ import annotations

from .csv_file import CsvWriter
from .xlsx_file import XlsxWriter

WRITERS = {"csv": CsvWriter, "xlsx": XlsxWriter}

"""One writer per format, each reading the report's column declaration and the pipeline's cells (pipeline.py);
zip_file.py bundles several reports written by them."""

from __future__ import annotations

from .csv_file import write_csv
from .json_lines import write_json
from .xlsx_file import write_xlsx

WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}
SUFFIX = {"csv": "csv", "xlsx": "xlsx", "json": "jsonl"}  # a file's name ends so

"""The file formats a session history arrives in (CSV/TSV, JSON, JSON Lines, XLSX; plain, .gz or a one-member .zip),
all read into the same shape: a header and (line, cells) per row, so checking a row never depends on the format.

A row's "line" is the text line for CSV and JSON Lines, the record's position for a JSON array and the sheet row
for XLSX; `RowError.where` names the place in the format's own words ($.sessions[12], Sheet1!row 5).
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from .mapping import Mapping, MappingError
from .rows import Read, RowError, read_rows
from .values import decode, fallback_encoding

FORMATS = ("csv", "json", "jsonl", "xlsx")


@dataclass
class Source:
    encoding: str                 # or the format, for files that carry no text encoding (xlsx)
    header: list[str]
    rows: Iterator[Read]
    lossy: bool = False           # some bytes did not decode: rows holding them are rejected
    place: Callable[[int], str] = lambda line: ""  # a row's line in the format's own words
    total: int | None = None      # about how many rows there are, for the progress bar


def open_source(path: Path, mapping: Mapping) -> Source:
    if (mapping.file_format or format_of(_inner_name(path))) == "csv":
        return _csv(path, mapping)
    data, name = _uncompressed(path.read_bytes(), path.name)
    kind = mapping.file_format or format_of(name)
    if kind in ("json", "jsonl"):
        text, encoding = decode(data, mapping.encodings)
        header = mapping.columns.named()
        if kind == "jsonl":
            return Source(encoding, header, _json_lines(text, header), total=text.count("\n") + 1)
        base = f"$.{mapping.json_records}" if mapping.json_records else "$"
        return Source(encoding, header, _json_array(text, mapping.json_records, header),
                      place=lambda line: f"{base}[{line - 1}]")
    return _xlsx(data, mapping)


def _inner_name(path: Path) -> str:
    """The name of the file inside a .gz or a one-file .zip (which says its format), else the file's own."""
    lowered = path.name.lower()
    if lowered.endswith(".gz"):
        return path.name[:-3]
    if lowered.endswith(".zip"):
        return _zip_member(path).filename
    return path.name


def _zip_member(path: Path) -> zipfile.ZipInfo:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]
    except (OSError, zipfile.BadZipFile) as exc:
        raise MappingError(f"{path.name} cannot be uncompressed: {exc}") from None
    if len(members) != 1:
        raise MappingError(f"{path.name} holds {len(members)} files; an import reads a zip of exactly one "
                           f"({', '.join(m.filename for m in members[:5])})")
    return members[0]


def _binary(path: Path) -> IO[bytes]:
    """The file's bytes as a stream, uncompressed on the way."""
    lowered = path.name.lower()
    if lowered.endswith(".gz"):
        return gzip.open(path, "rb")
    if lowered.endswith(".zip"):
        return zipfile.ZipFile(path).open(_zip_member(path))
    return path.open("rb")


_CHUNK = 1 << 20


def _csv(path: Path, mapping: Mapping) -> Source:
    """A CSV read as a stream: one pass decides the encoding by the per-file rule (valid UTF-8 is UTF-8) and counts
    the lines; the second hands the lines to the row reader, so the file is never in memory as a whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, newlines, last = True, 0, b""
    try:
        with _binary(path) as stream:
            while chunk := stream.read(_CHUNK):
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
                if utf8:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
        if utf8:
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        utf8 = False
    except (OSError, EOFError, zlib.error) as exc:
        raise MappingError(f"{path.name} cannot be uncompressed: {exc}") from None
    encoding = "utf-8" if utf8 else fallback_encoding(mapping.encodings)
    text = io.TextIOWrapper(_binary(path), encoding="utf-8-sig" if utf8 else encoding, errors="surrogateescape",
                            newline="")
    try:
        header, rows = read_rows(_without_bom(text), mapping)
    except BaseException:
        text.close()
        raise
    lines = newlines + (last not in (b"", b"\n"))
    # a byte the encoding cannot read can only be there when the file is not UTF-8: only then is each row checked
    return Source(encoding, header, _closing(rows, text), lossy=not utf8, total=max(0, lines - 1))


def _without_bom(lines: Iterator[str]) -> Iterator[str]:
    for number, line in enumerate(lines):
        yield line[1:] if number == 0 and line.startswith("\ufeff") else line


def _closing(rows: Iterator[Read], stream: IO) -> Iterator[Read]:
    try:
        yield from rows
    finally:
        stream.close()


def format_of(name: str) -> str:
    suffix = Path(name.lower()).suffix.lstrip(".")
    return {"tsv": "csv", "txt": "csv", "ndjson": "jsonl", "xlsm": "xlsx"}.get(suffix, suffix if suffix in FORMATS
                                                                                else "csv")


def _uncompressed(data: bytes, name: str) -> tuple[bytes, str]:
    lowered = name.lower()
    try:
        if lowered.endswith(".gz"):
            return gzip.decompress(data), name[:-3]
        if lowered.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]
                if len(members) != 1:
                    raise MappingError(f"{name} holds {len(members)} files; an import reads a zip of exactly one "
                                       f"({', '.join(m.filename for m in members[:5])})")
                return archive.read(members[0]), members[0].filename
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise MappingError(f"{name} cannot be uncompressed: {exc}") from None
    return data, name


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def _at(record: Any, path: str) -> Any:
    """A field by dotted path (`location.evse.id`); a number in the path indexes a list."""
    value = record
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _record_cells(record: Any, header: list[str], line: int, where: str) -> list[str] | RowError:
    if not isinstance(record, dict):
        return RowError(line, f"the record is a {type(record).__name__}, not an object", where)
    return [_cell(_at(record, column)) for column in header]


def _json_array(text: str, key: str | None, header: list[str]) -> Iterator[Read]:
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise MappingError(f"line {exc.lineno} column {exc.colno}: the file is not JSON ({exc.msg}); a file with one "
                           f"record per line is JSON Lines ([file] format = \"jsonl\")") from None
    base = "$"
    if key:
        document = _at(document, key)
        base = f"$.{key}"
    if not isinstance(document, list):
        hint = "" if key else "; [file] records names the key that holds the array"
        raise MappingError(f"{base} is not an array of records{hint}")
    for i, record in enumerate(document):
        where = f"{base}[{i}]"
        yield i + 1, _record_cells(record, header, i + 1, where)


def _json_lines(text: str, header: list[str]) -> Iterator[Read]:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            yield number, RowError(number, f"not JSON at column {exc.colno}: {exc.msg}")
            continue
        yield number, _record_cells(record, header, number, "")


def _xlsx(data: bytes, mapping: Mapping) -> Source:
    from openpyxl import load_workbook  # only xlsx imports pay for it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a file that is not a workbook
        raise MappingError(f"the file is not an XLSX workbook: {exc}") from None
    if mapping.sheet and mapping.sheet not in book.sheetnames:
        raise MappingError(f"the workbook has no sheet {mapping.sheet!r} (it has {', '.join(book.sheetnames)})")
    sheet = book[mapping.sheet] if mapping.sheet else book.worksheets[0]
    rows = sheet.iter_rows(min_row=mapping.header_row, values_only=True)
    header = [_cell(v).strip() for v in next(rows, ())]
    missing = mapping.missing(header)
    if missing:
        raise MappingError(f"{sheet.title}!row {mapping.header_row}: column(s) {', '.join(map(repr, missing))} named "
                           f"in the mapping are not in the header ({', '.join(h for h in header if h)})")
    fmt = mapping.date_formats[0]

    def excel(value: Any) -> str:
        # a date cell is written back in the mapping's first format, so it is read like a text cell
        if isinstance(value, datetime):
            return value.strftime(fmt)
        if isinstance(value, date):
            return datetime.combine(value, time()).strftime(fmt)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return _cell(value)

    def cells() -> Iterator[Read]:
        for number, values in enumerate(rows, start=mapping.header_row + 1):
            if not any(v not in (None, "") for v in values):
                continue
            texts = [excel(v) for v in values[:len(header)]]
            texts += [""] * (len(header) - len(texts))
            yield number, texts
        book.close()

    return Source("xlsx", header, cells(), place=lambda line: f"{sheet.title}!row {line}",
                  total=max(0, (sheet.max_row or 0) - mapping.header_row))

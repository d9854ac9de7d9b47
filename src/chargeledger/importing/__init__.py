"""Importing session history from other systems, declared by a TOML mapping per source; and the bulk writer."""

from .bulk import SessionRecord, record_many
from .mapping import Mapping, MappingError, load_mapping, parse_mapping
from .sessions import ImportReport, import_sessions

__all__ = ["ImportReport", "Mapping", "MappingError", "SessionRecord", "import_sessions", "load_mapping",
           "parse_mapping", "record_many"]

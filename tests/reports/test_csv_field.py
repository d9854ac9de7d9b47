"""The compiled report lines quote each cell themselves: exactly as csv.writer would, for any text."""

from __future__ import annotations

import csv
import io

from hypothesis import given, strategies as st

from chargeledger.reports.compiled_raw import csv_field

TEXTS = st.text(alphabet=st.sampled_from(list('ab ,"\r\n\t\'=;é€')) | st.characters(), max_size=12)


@given(st.lists(TEXTS, min_size=2, max_size=6))
def test_fields_joined_are_the_csv_writers_line(cells):
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    assert ",".join(csv_field(cell) for cell in cells) + "\r\n" == out.getvalue()


@given(st.lists(TEXTS, min_size=2, max_size=6))
def test_a_quoted_line_reads_back_as_its_cells(cells):
    line = ",".join(csv_field(cell) for cell in cells) + "\r\n"
    assert next(csv.reader(io.StringIO(line, newline=""))) == cells

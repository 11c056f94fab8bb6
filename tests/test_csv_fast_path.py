"""The CSV export's fast way (a row whose cells all pass `neutralize` unchanged, joined at once) writes
the bytes csv.writer writes after `neutralize`, cell by cell; every hostile cell still goes the careful
way and comes out neutralised."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from omeconsole.core.mail.model import EncryptionMethod, Protection, TraceStatus
from omeconsole.core.text.csv_cells import csv_lines, csv_rows, neutralize, plain_line
from support.hostile import CORPUS

FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "=HYPERLINK(\"http://x\")", "-1", "+1.5"]
TRICKY = ['"', '""', '","', '","=1', 'a","=b', '"=x', "", "a\r\nb", "\x00", "\ud800", "é", "-", "=", "'=x"]


def reference(rows: list[list], columns: tuple[str, ...]) -> str:
    """What the export wrote before the fast way: the header, then each cell neutralized, by csv.writer."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralize(value) for value in row])
    return out.getvalue()


def written(rows: list[list], columns: tuple[str, ...]) -> str:
    return "".join(csv_rows(rows, columns, batch=3))


def test_hostile_cells_in_every_column_are_written_as_before():
    texts = list(CORPUS.values()) + FORMULAS + TRICKY
    columns = ("A", "B", "C")
    rows = [[text, "plain", "x"] for text in texts] + [["plain", text, "x"] for text in texts]
    rows += [["plain", "x", text] for text in texts] + [[text, text, text] for text in texts]
    assert written(rows, columns) == reference(rows, columns)


def test_a_formula_cell_never_takes_the_fast_way():
    for formula in FORMULAS:
        for position in range(3):
            row = ["a", "b", "c"]
            row[position] = formula
            line = plain_line(row)
            assert line is None or neutralize(formula) == formula  # only a number passes
    assert plain_line(["a", "=1", "c"]) is None
    assert "'=1" in written([["a", "=1", "c"]], ("A", "B", "C"))


def test_values_that_are_not_text_go_the_careful_way():
    rows = [[None, 3, True], [["a", "=b"], 1.5, False], ["-1", None, "x"]]
    assert plain_line(rows[0]) is None
    assert written(rows, ("A", "B", "C")) == reference(rows, ("A", "B", "C"))


def test_records_and_a_cell_function_as_before():
    records = [{"A": "=1", "B": "\x1b[2J"}, {"A": "x"}]
    shown = "".join(csv_lines(records, ("A", "B"), cell=lambda text: text.replace("\x1b", "\\x1b")))
    assert shown == '"A","B"\r\n"\'=1","\\x1b[2J"\r\n"x",""\r\n'


@given(st.lists(st.lists(st.text(alphabet=st.sampled_from('ab"=,+-@\t\r\n\x00 \'1.'), max_size=8),
                         min_size=3, max_size=3), max_size=6))
def test_any_text_is_written_as_csv_writer_writes_it(rows):
    assert written(rows, ("A", "B", "C")) == reference(rows, ("A", "B", "C"))


@given(st.lists(st.lists(st.one_of(st.text(max_size=20), st.none(), st.integers()), min_size=1, max_size=5),
                max_size=5))
def test_any_values_are_written_as_csv_writer_writes_them(rows):
    columns = ("A", "B", "C", "D", "E")
    rows = [row + [None] * (5 - len(row)) for row in rows]
    assert written(rows, columns) == reference(rows, columns)


def test_a_str_enum_is_written_as_neutralize_writes_it_not_as_its_text():
    """A (str, Enum) member is text to str.join but neutralize writes it by str(): the careful way."""
    rows = [[TraceStatus.DELIVERED, "x"], [Protection.ENCRYPT_ONLY, EncryptionMethod.USER]]
    assert plain_line(rows[0]) is None
    assert written(rows, ("Status", "Other")) == reference(rows, ("Status", "Other"))

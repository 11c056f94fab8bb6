"""Hostile input, generated: every parser a person or a file reaches answers with a value or one clear
line, never a traceback; and a rejected file or a hand-edited store file changes nothing.

`HYPOTHESIS_PROFILE=long` runs ten times the examples (see README, How we test it).
"""

import atexit
import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings, strategies as st

from support.paths import FIXTURES
from omeconsole.core.text.addresses import normalize_address, parse_patterns
from omeconsole.core.text.csv_cells import to_csv
from omeconsole.core.dkm.access_request import parse_duration
from omeconsole.core.errors import OmeError
from omeconsole.core.message_trace.importing import TraceImport
from omeconsole.core.message_trace.culture_dates import DateEvidence, DateOrder
from omeconsole.core.message_trace.export_rows import RowError
from omeconsole.core.message_trace.trace_export import open_trace_export
from omeconsole.core.text.message_ids import normalize_message_id
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.context import Context
from omeconsole.core.text.times import parse_iso, parse_span
from omeconsole.core.encryption_report.report import get_encryption_report
from omeconsole.core.message_trace.search import get_message_trace
from omeconsole.core.ome.status import get_ome_message_status

FEW = settings(max_examples=max(settings().max_examples // 5, 20))  # the examples that touch a whole store

# text as people paste it: letters, digits, the punctuation of IDs and addresses, spaces, controls, non-ASCII
_PASTE = st.text(st.sampled_from(list("abcXYZ019._-+@<>*\"' \t\n\r,;:[]()=\\/%!é中\x00\x1b\u202e")), max_size=80)
_ANY = st.one_of(_PASTE, st.text(max_size=300))


def assert_one_clear_line(error: Exception) -> None:
    text = str(error)
    assert text and "\n" not in text and "\r" not in text and len(text) < 600, repr(text)
    assert "Traceback" not in text


def answers(parse, text):
    """parse(text), or None after checking the error is an OmeError of one clear line."""
    try:
        return parse(text)
    except OmeError as error:
        assert_one_clear_line(error)
        return None


def ids():
    left = st.text(st.sampled_from(list("ABCDEFabc0123456789.$-_")), min_size=1, max_size=40)
    right = st.text(st.sampled_from(list("abcdefghNAMPRD0123456789.-")), min_size=1, max_size=40)
    noise = st.sampled_from(["", " ", "<", ">", "\"", "'", ".", "\t", "\n"])
    return st.builds(lambda a, l, r, b: f"{a}{l}@{r}{b}", noise, left, right, noise)


@given(st.one_of(ids(), _ANY))
def test_message_ids(text):
    canonical = answers(normalize_message_id, text)
    if canonical is not None:
        assert canonical.startswith("<") and canonical.endswith(">") and "@" in canonical
        assert not any(c.isspace() or ord(c) < 32 for c in canonical)
        assert normalize_message_id(canonical) == canonical


@given(st.one_of(st.emails(), st.builds(lambda d: f"*@{d}", st.from_regex(r"[a-z0-9.-]{1,30}", fullmatch=True)),
                 _ANY))
def test_addresses_and_patterns(text):
    address = answers(normalize_address, text)
    if address is not None:
        assert address == address.lower() and normalize_address(address) == address
        assert not any(c.isspace() or ord(c) < 32 for c in address)
    patterns = answers(lambda t: parse_patterns([t]), text)
    for pattern in patterns or []:
        assert pattern.address or pattern.domain


@given(st.one_of(st.datetimes().map(lambda d: d.isoformat()), st.dates().map(str), _ANY))
def test_dates(text):
    moment = answers(parse_iso, text)
    if moment is not None:
        assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0


@given(st.lists(st.one_of(
    st.from_regex(r"\d{1,4}[/.-]\d{1,3}[/.-]\d{1,5} \d{1,2}[:.]\d{1,2}([:.]\d{1,2})?( [AaPp]\.?[Mm]\.?)?", fullmatch=True),
    st.from_regex(r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}", fullmatch=True), _ANY), min_size=1, max_size=5),
       st.sampled_from([None, *DateOrder]))
def test_export_dates(texts, order):
    """Whatever a file's date cells hold, the decision is a reading or one clear line, and each cell
    is read or refused with one clear line."""
    evidence = DateEvidence(",")
    for text in texts:
        evidence.add(text)
    try:
        reading = evidence.decide("x.csv", order)
    except OmeError as error:
        assert_one_clear_line(error)
        return
    for text in texts:
        try:
            moment = reading.parse(text)
        except RowError as error:
            assert_one_clear_line(error)
        else:
            assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0


@given(st.one_of(st.from_regex(r"(\d{1,12}h)?\s*(\d{1,12}m)?\s*(\d{1,12}s)?", fullmatch=True),
                 st.from_regex(r"PT(\d{1,9}H)?(\d{1,9}M)?(\d{1,9}S)?", fullmatch=True), _ANY))
def test_durations(text):
    span = answers(parse_span, text)
    if span is not None:
        assert span.total_seconds() >= 0
    answers(parse_duration, text)


@given(st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_csv_export_neutralises_every_formula_cell(cells):
    columns = tuple(f"C{n}" for n in range(len(cells)))
    text = to_csv([dict(zip(columns, cells))], columns)
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(header) == columns
    for written, original in zip(row, cells):
        if original.startswith(("=", "+", "-", "@", "\t", "\r")):
            try:
                float(original)
                assert written == original  # a negative number is a number, not a formula
            except ValueError:
                assert written == "'" + original
        else:
            assert written == original


# -- files: the three import formats, damaged every way --------------------------------------

SOURCES = {name: (FIXTURES / name).read_bytes() for name in (
    "messagetrace-ps51.csv", "messagetrace-en-gb.csv", "messagetrace-de-de.csv", "enhanced-summary-utf16.csv",
    "enhanced-summary-utf8.csv", "graph-messagetraces.json")} | {name: (FIXTURES / "exports" / name).read_bytes() for name in (
    "extended-report-utf16le.csv", "convertto-json-ps51-utf16le.json", "reporting-webservice.json",
    "powershell-de-DE-semicolon.csv", "bifurcated-copy.csv")}
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1+1"]


def _reencode(raw: bytes, encoding: str) -> bytes:
    text = raw.decode("utf-16") if raw.startswith(b"\xff\xfe") else raw.decode("utf-8-sig")
    return text.encode(encoding, errors="replace")


@st.composite
def damaged_files(draw) -> bytes:
    raw = SOURCES[draw(st.sampled_from(sorted(SOURCES)))]
    how = draw(st.sampled_from(["truncate", "encoding", "huge", "formula", "bytes", "quote"]))
    if how == "truncate":
        return raw[:draw(st.integers(0, len(raw)))]
    if how == "encoding":
        return _reencode(raw, draw(st.sampled_from(["latin-1", "utf-16-be", "cp1252", "utf-32"])))
    text = _reencode(raw, "utf-8").decode("utf-8")
    at = draw(st.integers(0, len(text)))
    insert = {"huge": lambda: "x" * draw(st.sampled_from([10_000, 200_000])),
              "formula": lambda: draw(st.sampled_from(FORMULAS)),
              "bytes": lambda: draw(st.text(max_size=20)),
              "quote": lambda: "\""}[how]()
    return (text[:at] + insert + text[at:]).encode("utf-8")


_FILES = Path(tempfile.mkdtemp(prefix="omeconsole-fuzz-"))
atexit.register(shutil.rmtree, _FILES, True)


class _Read:
    """An export read whole: its rows and its rejections."""

    def __init__(self, path: Path):
        items = list(open_trace_export(path).rows())
        self.rows = [r for r in items if not isinstance(r, RowError)]
        self.errors = [str(r) for r in items if isinstance(r, RowError)]


read_trace_export = _Read


def _written(data: bytes) -> Path:
    path = _FILES / f"export-{abs(hash(data))}.csv"
    path.write_bytes(data)
    return path


@given(damaged_files())
def test_import_files_parse_or_say_why(data):
    try:
        parsed = read_trace_export(_written(data))
    except OmeError as error:
        assert_one_clear_line(error)
        return
    for problem in parsed.errors:
        assert problem.startswith(("line ", "value[", "d.results[", "d[", "[", "the object")), problem
        assert "\n" not in problem and len(problem) < 600, problem
    for row in parsed.rows:
        assert row.message_id.startswith("<") and len(row.subject) <= 1000


def assert_status_of(status, asked: str) -> None:
    """The status answers for the message asked, its IsRevocable and Revoked booleans that agree with its
    reasons; a message the store holds no encryption record for is neither revocable nor keyed."""
    record = status.to_record()
    assert record["MessageId"] == normalize_message_id(asked), (record["MessageId"], asked)
    assert isinstance(record["IsRevocable"], bool) and isinstance(record["Revoked"], bool), record
    assert record["IsRevocable"] == (not record["Reasons"]), record
    assert not (record["Revoked"] and record["IsRevocable"]), record
    if status.message.protection is None:
        assert not record["IsRevocable"] and record["ContentKey"] == "none", record


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _snapshot(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "store.lock"}


@FEW
@given(damaged_files())
def test_an_import_either_lands_whole_or_changes_nothing(demo_template, data):
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "store"
        shutil.copytree(demo_template, root)
        before = _snapshot(root)
        app = Context.open(root)
        try:
            result = TraceImport(app).import_file(_written(data))
        except OmeError as error:
            assert_one_clear_line(error)
            assert _snapshot(root) == before
            return
        if result.rows_added == 0:
            assert _snapshot(root) == before
        for row in read_trace_export(_written(data)).rows:
            assert_status_of(get_ome_message_status(app, row.message_id), row.message_id)
        trace = get_message_trace(app, TraceQuery(), limit=10_000)
        exported = to_csv([r.to_record() for r in trace.rows], tuple(trace.rows[0].to_record()))
        for line in csv.reader(io.StringIO(exported, newline="")):
            assert not any(cell.startswith(("=", "+", "-", "@")) and not _number(cell) for cell in line)


# -- store files edited by hand --------------------------------------------------------------

def _edit(draw, raw: bytes) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "json"]))
    if how == "truncate":
        return raw[:draw(st.integers(0, max(len(raw) - 1, 0)))]
    if how == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1:]
    value = draw(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                              lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                          max_size=3), max_leaves=6))
    return json.dumps(value).encode()


@FEW
@given(st.sampled_from(["top", "messages", "index/days", "index/senders", "index/recipients", "datakeys"]), st.data())
def test_a_hand_edited_store_file_is_reported_and_never_rewritten(demo_template, where, data):
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "store"
        shutil.copytree(demo_template, root)
        folder = root if where == "top" else root / where
        candidates = sorted(p for p in folder.glob("*.json"))
        path = data.draw(st.sampled_from(candidates))
        path.write_bytes(_edit(data.draw, path.read_bytes()))
        before = _snapshot(root)
        try:
            app = Context.open(root)
            get_message_trace(app, TraceQuery(senders=parse_patterns(["megan.bowen@contoso.com"])))
            get_encryption_report(app)
            for row in get_message_trace(app, TraceQuery()).rows[:20]:
                get_ome_message_status(app, row.message.message_id)
        except OmeError as error:
            assert_one_clear_line(error)
        assert _snapshot(root) == before

"""Round trip (issue 16): generated traces, exported in every format, culture and encoding, imported
through the real CLI into a fresh store, and every field of every row compared with what was generated.

Each case draws its own traces from its seed (several messages and recipients, bifurcated copies,
subjects with emoji, æøå, embedded CRLF, quotes, commas and semicolons; received in the last nine
days, or all on one day of last year whose day and month are both 12 or less). A case passes
--date-order or --culture only where the evidence cannot settle the order, and then first sees the
file refused with the way out. A second import of the same file adds nothing.

The cases run four at a time (each in its own store) so the file stays well under a minute;
OMECONSOLE_ROUNDTRIP_SEED draws other traces.
"""

import json
import os
import random
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.cli import CLI, assert_one_line_error
from support.export_shapes import (
    ALL_CULTURES,
    CULTURES,
    EVENT_FORMATS,
    FORMAT_CSV,
    FORMAT_ENHANCED,
    FORMAT_EXTENDED,
    FORMAT_GRAPH,
    FORMAT_JSON,
    FORMAT_REPORTING,
    GRAPH_ONLY_STATUSES,
    GRAPH_STATUS,
    PS_STATUSES,
    Trace,
    assert_details_match,
    assert_store_holds,
    assert_summary,
    canonical_message_id,
    convertto_json,
    copies,
    enhanced_summary,
    extended_report,
    graph_json,
    iso,
    powershell_csv,
    query_window,
    random_traces,
    reporting_service_json,
    trace_window,
    undashed,
)

SEED = int(os.environ.get("OMECONSOLE_ROUNDTRIP_SEED", "16"))
WORKERS = 4


@dataclass(frozen=True)
class Case:
    fmt: str
    encoding: str = "utf-8"
    bom: bool | None = None
    culture: str = "en-US"  # the CSV's
    type_line: bool = True
    use_culture: bool = False
    window: bool = True
    low_days: bool = False
    variant: str = ""  # ConvertTo-Json: the PowerShell; Graph: the version

    @property
    def name(self) -> str:
        if self.fmt == FORMAT_CSV:
            return (f"csv-{self.culture}-{self.encoding}{'-bom' if self.bom else ''}"
                    f"{'-type' if self.type_line else ''}{'-semicolon' if self.use_culture else ''}"
                    f"{'' if self.window else '-nowindow'}{'-lowdays' if self.low_days else ''}")
        short = {FORMAT_JSON: "convertto-json", FORMAT_ENHANCED: "enhanced", FORMAT_EXTENDED: "extended",
                 FORMAT_GRAPH: "graph", FORMAT_REPORTING: "reporting"}[self.fmt]
        return f"{short}-{self.variant + '-' if self.variant else ''}{self.encoding}{'-bom' if self.bom else ''}"


def csv(culture, encoding, bom=None, type_line=True, use_culture=False, window=True, low_days=False) -> Case:
    return Case(FORMAT_CSV, encoding, bom, culture, type_line, use_culture, window, low_days)


CASES = [
    # Every culture once or more, every encoding, both delimiters, with and without #TYPE and the window.
    csv("en-US", "ascii"),
    csv("en-US", "utf-8", False, type_line=False, window=False, low_days=True),  # ambiguous: --date-order
    csv("en-US", "utf-16-be", True, window=False, low_days=True),  # ambiguous: --culture en-US
    csv("en-GB", "utf-8-sig", window=False, low_days=True),  # no AM/PM: day first
    csv("en-GB", "utf-16-le", True, low_days=True),  # the window settles it
    csv("de-DE", "utf-8-sig", use_culture=True),
    csv("fr-FR", "utf-16-le", False, use_culture=True, window=False),
    csv("da-DK", "utf-16-be", True, use_culture=True, low_days=True),
    csv("nl-NL", "utf-16-be", False, type_line=False, use_culture=True),
    csv("sv-SE", "ascii", use_culture=True, window=False),
    csv("ja-JP", "utf-8", False, type_line=False, low_days=True),
    csv("zh-CN", "utf-16-le", True, window=False, low_days=True),
    csv("en-CA", "utf-8-sig", type_line=False, window=False),
    csv("pt-BR", "utf-8", False, use_culture=True, window=False, low_days=True),
    csv("es-ES", "utf-16-le", True, type_line=False, use_culture=True, low_days=True),
    csv("en-AU", "utf-8", False, type_line=False, window=False, low_days=True),  # ambiguous: --date-order DMY
    Case(FORMAT_JSON, "utf-16-le", True, variant="5.1"),
    Case(FORMAT_JSON, "utf-8", False, variant="7"),
    Case(FORMAT_JSON, "utf-16-be", True, variant="7"),
    Case(FORMAT_ENHANCED, "utf-16-le", True),
    Case(FORMAT_ENHANCED, "utf-16-le", False),
    Case(FORMAT_ENHANCED, "utf-16-be", True),
    Case(FORMAT_EXTENDED, "utf-16-le", True),
    Case(FORMAT_EXTENDED, "utf-8-sig"),
    Case(FORMAT_GRAPH, variant="v1.0"),
    Case(FORMAT_GRAPH, variant="beta"),
    Case(FORMAT_REPORTING),
]


def test_the_cases_cover_every_format_culture_encoding_and_delimiter():
    assert {c.fmt for c in CASES} == {FORMAT_CSV, FORMAT_JSON, FORMAT_ENHANCED, FORMAT_EXTENDED, FORMAT_GRAPH,
                                      FORMAT_REPORTING}
    csvs = [c for c in CASES if c.fmt == FORMAT_CSV]
    assert {c.culture for c in csvs} >= set(CULTURES)
    assert {(c.encoding, c.bom if c.encoding.startswith("utf-16") else None) for c in csvs} >= {
        ("ascii", None), ("utf-8", None), ("utf-8-sig", None), ("utf-16-le", True), ("utf-16-le", False),
        ("utf-16-be", True), ("utf-16-be", False)}
    assert {c.use_culture for c in csvs} == {True, False} and {c.window for c in csvs} == {True, False}
    assert len({c.name for c in CASES}) == len(CASES)


# -- one case ----------------------------------------------------------------------------------------

def generate(case: Case, rng: random.Random, now: datetime) -> tuple[list[Trace], dict[str, str]]:
    statuses = PS_STATUSES
    if case.fmt == FORMAT_GRAPH:
        statuses = (*GRAPH_STATUS, *GRAPH_ONLY_STATUSES)
    rows = random_traces(rng, now, messages=rng.randrange(3, 6), low_days=case.low_days, statuses=statuses,
                         with_events=case.fmt in EVENT_FORMATS)
    # Some network message IDs as 32 hex digits, as Microsoft also documents them.
    written = {c[0].trace_id: undashed(c[0].trace_id) for c in copies(rows) if rng.random() < 0.4}
    return rows, written


def write(case: Case, rows: list[Trace], written: dict[str, str]) -> bytes:
    if case.fmt == FORMAT_CSV:
        return powershell_csv(rows, case.culture, case.encoding, case.bom, case.type_line, case.use_culture,
                              case.window)
    if case.fmt == FORMAT_JSON:
        return convertto_json(rows, case.variant, case.encoding, case.bom)
    if case.fmt == FORMAT_ENHANCED:
        return enhanced_summary(rows, case.encoding, case.bom, written)
    if case.fmt == FORMAT_EXTENDED:
        return extended_report(rows, case.encoding, case.bom, written)
    if case.fmt == FORMAT_GRAPH:
        return graph_json(rows, case.variant, next_link=case.variant == "v1.0")
    return reporting_service_json(rows)


def _swapped(moment: datetime) -> datetime | None:
    try:
        return moment.replace(month=moment.day, day=moment.month)
    except ValueError:
        return None


def date_evidence(case: Case, rows: list[Trace]) -> str:
    """What the file itself says about its date order: "settled", "ambiguous" (the importer must refuse
    it), or "moot" (every date reads the same either way: refusing or importing are both right).
    The evidence the issue names: a day over 12; AM/PM designators (en-US always writes them, so dates
    without them are day-first, while with them they may be en-US's or en-AU's); a StartDate/EndDate
    window, at most 10 days only when read the right way."""
    culture = ALL_CULTURES[case.culture]
    if case.fmt != FORMAT_CSV or culture.date_order == "YMD" or not culture.am:
        return "settled"
    if case.window:
        start, end = query_window(rows)
        other = (_swapped(start), _swapped(end))
        assert None in other or not timedelta(0) < other[1] - other[0] <= timedelta(days=10), "a window that settles"
        return "settled"
    if any(r.received.day > 12 for r in rows):
        return "settled"
    return "ambiguous" if any(r.received.day != r.received.month for r in rows) else "moot"


def import_json(cli: CLI, path: Path, *flags, check: int | None = 0) -> dict:
    result = cli("import", path, *flags, "--json", check=check)
    return json.loads(result.stdout)


def run_case(case: Case, index: int, template: Path, root: Path) -> None:
    rng = random.Random(f"{SEED}:{index}:{case.name}")
    now = datetime.now(UTC).replace(microsecond=0)
    rows, written = generate(case, rng, now)
    data = write(case, rows, written)
    path = root / f"{case.name}.export"
    path.write_bytes(data)
    shutil.copytree(template, root / "store")
    cli = CLI(root / "store")
    ascii_only = case.encoding == "ascii"
    order = ALL_CULTURES[case.culture].date_order if case.fmt == FORMAT_CSV else None

    flags: tuple[str, ...] = ()
    summary = None
    evidence = date_evidence(case, rows)
    if evidence in ("ambiguous", "moot"):
        first = cli("import", path, "--json", check=None)
        if evidence == "ambiguous" or first.returncode == 2:
            assert first.returncode == 2, (case.name, first.stdout, first.stderr)
            assert_one_line_error(first, "--date-order", "--culture")
            assert cli.json("trace", *_window(rows)) == []
            use_culture = case.culture in CULTURES and index % 2 == 0
            flags = ("--culture", case.culture) if use_culture else ("--date-order", order)
        else:  # every date reads the same either way, and it was imported
            assert first.returncode == 0, (case.name, first.stdout, first.stderr)
            summary = json.loads(first.stdout)
    if summary is None:
        summary = import_json(cli, path, *flags)
    assert_summary(summary, path, data, case.encoding, case.fmt, rows, order)
    assert_store_holds(cli, rows, case.fmt, ascii_only)

    # Copies stay copies (every copy's rows were compared above); in the first case of each format, one
    # copy of the bifurcated message is also found by its own Message Trace ID.
    if index == next(i for i, c in enumerate(CASES) if c.fmt == case.fmt):
        split = next(c for c in copies(rows)
                     if len({r.trace_id for r in rows if r.message_id == c[0].message_id}) > 1)
        found = cli.json("trace", "--message-trace-id", split[-1].trace_id, *_window(rows))
        assert sorted((r["RecipientAddress"], r["Received"], r["MessageTraceId"]) for r in found) == sorted(
            (r.recipient.lower(), iso(r.received), r.trace_id) for r in split)
        assert {r["MessageId"] for r in found} == {canonical_message_id(split[0].message_id)}

    if case.fmt in EVENT_FORMATS:
        assert_details_match(cli, rng.choice(rows), case.fmt)

    again = import_json(cli, path, *flags)
    assert (again["RowsAdded"], again["RowsRejected"], again["MessagesAdded"]) == (0, 0, 0), again
    assert again["RowsAlreadyPresent"] == summary["RowsAdded"], (summary, again)


def _window(rows: list[Trace]) -> tuple[str, ...]:
    start, end = trace_window(rows)
    return ("--start", start, "--end", end)


# -- all cases, four at a time ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, BaseException | None]:
    """The cases this run selected, four at a time: what each raised, or None."""
    selected = {item.callspec.params["case"].name for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec") and "case" in item.callspec.params}
    template = tmp_path_factory.mktemp("tenant") / "store"
    CLI(template)("init", "--org", "Contoso", "--domain", "contoso.com", "--admin", "admin@contoso.com",
                  "--license", "E5")
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {case.name: pool.submit(run_case, case, index, template, tmp_path_factory.mktemp("case"))
                   for index, case in enumerate(CASES) if case.name in selected}
    return {name: future.exception() for name, future in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_round_trip(outcomes, case):
    error = outcomes[case.name]
    if error is not None:
        raise error

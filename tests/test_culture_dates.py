"""Trace exports' dates as each culture writes them: the order is decided per file from evidence (a day over 12,
AM/PM designators, separators, the StartDate/EndDate window, the delimiter), or the file is refused with the way
out. Never a wrong date: the property test writes every culture's dates with its own .NET patterns."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omeconsole.core.errors import UsageError
from omeconsole.core.message_trace.culture_dates import (
    CULTURES,
    DateEvidence,
    DateOrder,
    DateReading,
    culture_named,
    iso_only,
    parse_date_order,
)
from omeconsole.core.message_trace.export_rows import RowError

DMY, MDY = DateOrder.DMY, DateOrder.MDY


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def decided(cells: list[str], delimiter: str | None = None, window: tuple[str, str, str | None] | None = None,
            **named) -> DateReading:
    evidence = DateEvidence(delimiter)
    for cell in cells:
        evidence.add(cell)
    if window:
        evidence.add_window(*window)
    return evidence.decide("x.csv", **named)


def refusal(cells: list[str], delimiter: str | None = None, window=None) -> str:
    with pytest.raises(UsageError) as caught:
        decided(cells, delimiter, window)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("x.csv: ")
    return message


# -- the examples of the issue --------------------------------------------------------------------------------


def test_an_en_gb_file_whose_days_are_all_12_or_less_is_day_first():
    reading = decided(["05/11/2026 10:00:00", "01/02/2026 09:30:00", "12/12/2026 23:59:59"])
    assert reading.order is DMY
    assert reading.culture.startswith("en-GB") and "en-US" not in reading.culture
    assert reading.reason == "no AM/PM designator (en-US, es-US always write one)"
    assert reading.parse("05/11/2026 10:00:00") == utc(2026, 11, 5, 10, 0, 0)


def test_an_en_us_file_with_a_day_over_12_is_month_first():
    reading = decided(["11/5/2026 3:04:05 PM", "11/20/2026 9:00:00 AM"])
    assert (reading.order, reading.culture) == (MDY, "en-US")
    assert reading.reason == "a day over 12 comes second (11/20/2026)"
    assert reading.parse("11/5/2026 3:04:05 PM") == utc(2026, 11, 5, 15, 4, 5)


EN_US_DAYS_12_OR_LESS = ["11/1/2026 3:04:05 PM", "11/5/2026 10:00:00 AM", "11/10/2026 11:59:59 PM"]
EN_US_WINDOW = ("11/1/2026 12:00:00 AM", "11/10/2026 12:00:00 AM")


def test_an_en_us_file_whose_days_are_12_or_less_is_month_first_by_its_window():
    evidence = DateEvidence(",")
    for cell in EN_US_DAYS_12_OR_LESS:
        evidence.add_window(*EN_US_WINDOW, cell)
    reading = evidence.decide("x.csv")
    assert (reading.order, reading.culture) == (MDY, "en-US")
    assert reading.reason == ("the StartDate/EndDate window (11/1/2026 12:00:00 AM .. 11/10/2026 12:00:00 AM) is "
                              "10 days or less only when read month-first")
    assert [reading.parse(c) for c in EN_US_DAYS_12_OR_LESS] == [
        utc(2026, 11, 1, 15, 4, 5), utc(2026, 11, 5, 10), utc(2026, 11, 10, 23, 59, 59)]


def test_the_same_file_without_its_window_is_refused_with_the_way_out_and_reads_with_date_order():
    message = refusal(EN_US_DAYS_12_OR_LESS)
    assert message == (
        "x.csv: its dates could be day-first or month-first (11/1/2026 3:04:05 PM; no day over 12, no "
        "StartDate/EndDate to tell; month-first: en-US; day-first: en-AU, en-IN): name the order with "
        "--date-order DMY|MDY|YMD, or the culture that wrote it with --culture NAME (en-US, en-AU, en-IN, ...)")
    reading = decided(EN_US_DAYS_12_OR_LESS, order=DMY)
    assert (reading.order, reading.culture, reading.reason) == (DMY, "--date-order DMY", "named with --date-order")
    assert [reading.parse(c) for c in EN_US_DAYS_12_OR_LESS] == [
        utc(2026, 1, 11, 15, 4, 5), utc(2026, 5, 11, 10), utc(2026, 10, 11, 23, 59, 59)]
    assert decided(EN_US_DAYS_12_OR_LESS, culture=culture_named("en-us")).parse("11/5/2026 10:00:00 AM") == \
        utc(2026, 11, 5, 10)


@pytest.mark.parametrize("cell", ["12-11-2026 13:54:03", "12-11-2026 09:54:03", "5-11-2026 13:54:03"])
def test_danish_and_dutch_dash_dates_are_day_first(cell):
    reading = decided([cell])
    assert reading.order is DMY
    assert {"da-DK", "nl-NL"} <= set(reading.culture.split(", "))
    assert reading.parse("12-11-2026 13:54:03") == utc(2026, 11, 12, 13, 54, 3)


@pytest.mark.parametrize("cell,culture,expected", [
    ("2026/11/21 13:54:03", "ja-JP, zh-CN", utc(2026, 11, 21, 13, 54, 3)),
    ("2026-11-21 1:54:03 p.m.", "en-CA", utc(2026, 11, 21, 13, 54, 3)),
    ("2026-11-21 오후 1:54:03", "ko-KR", utc(2026, 11, 21, 13, 54, 3)),
    ("2026/11/21 下午 01:54:03", "zh-TW", utc(2026, 11, 21, 13, 54, 3)),
])
def test_year_first_cultures_need_no_order(cell, culture, expected):
    reading = decided([cell])
    assert (reading.order, reading.culture) == (None, culture)
    assert reading.reason == f"year-first dates need no order ({cell})"
    assert reading.parse(cell) == expected


def test_spanish_designators_are_written_day_first_in_mexico_and_month_first_in_the_united_states():
    assert "month-first: es-US; day-first: es-MX" in refusal(["05/11/2026 10:00:00 a. m."])
    assert decided(["25/11/2026 10:00:00 p. m."]).culture == "es-MX"
    assert decided(["11/25/2026 10:00:00 p.\u00a0m."]).parse("11/5/2026 10:00:00 a. m.") == utc(2026, 11, 5, 10)


def test_finnish_dates_with_dotted_times():
    reading = decided(["21.11.2026 13.54.03"])
    assert reading.order is DMY and "fi-FI" in reading.culture
    assert reading.parse("21.11.2026 13.54.03") == utc(2026, 11, 21, 13, 54, 3)
    assert reading.parse("1.2.2026 3.04.05") == utc(2026, 2, 1, 3, 4, 5)


def test_fractions_of_a_second_with_a_decimal_comma():
    reading = decided(["20.11.2026 15:04:05,123"])
    assert reading.order is DMY
    assert reading.culture == "de-DE, nb-NO, fi-FI, pl-PL, ru-RU"  # the cultures writing a decimal comma
    assert reading.parse("20.11.2026 15:04:05,123") == utc(2026, 11, 20, 15, 4, 5, 123000)
    assert reading.parse("20.11.2026 15:04:05,1234567") == utc(2026, 11, 20, 15, 4, 5, 123456)


@pytest.mark.parametrize("cells,midnight,noon", [
    (["12/1/2026 12:00:00 AM", "12/13/2026 12:00:00 PM"], "12/1/2026 12:30:00 AM", "12/1/2026 12:30:00 PM"),
    (["2026-12-01 오전 12:30:00"], "2026-12-01 오전 12:30:00", "2026-12-01 오후 12:30:00"),
])
def test_12_am_is_midnight_and_12_pm_is_noon(cells, midnight, noon):
    reading = decided(cells)
    assert reading.parse(midnight) == utc(2026, 12, 1, 0, 30)
    assert reading.parse(noon) == utc(2026, 12, 1, 12, 30)


def test_a_semicolon_delimiter_narrows_day_first_slashes_to_the_cultures_that_use_it():
    reading = decided(["05/11/2026 10:00:00", "13/11/2026 10:00:00"], delimiter=";")
    assert (reading.order, reading.culture) == (DMY, "fr-FR, it-IT, es-ES, pt-BR, pt-PT")
    assert decided(["05/11/2026 10:00:00"], delimiter=",").culture == "en-GB, fr-FR, it-IT, es-ES, pt-BR, pt-PT"
    assert decided(["05/11/2026 10:00:00"], delimiter=";").order is DMY


def test_a_file_mixing_day_first_and_month_first_evidence_is_refused_as_contradicting_itself():
    message = refusal(["13/01/2026 10:00:00", "01/13/2026 10:00:00"])
    assert message == (
        "x.csv: its dates contradict each other: 01/13/2026 is a real date only read month-first, but 13/01/2026 is "
        "a real date only read day-first: name the order with --date-order DMY|MDY|YMD to import the rows written "
        "that way")


# -- the evidence ---------------------------------------------------------------------------------------------


def test_iso_8601_is_always_read_whatever_the_order():
    cells = ["2026-11-20T15:04:05.1234567Z", "2026-11-20T16:04:05+01:00", "2026-11-20 15:04:05",
             "2026-11-20T15:04:05", "2026-11-20t15:04:05z", "2026-11-20 15:04:05,5"]
    reading = decided(cells)
    assert (reading.order, reading.culture, reading.reason) == (None, "ISO 8601", "every date is ISO 8601")
    expected = [utc(2026, 11, 20, 15, 4, 5, 123456)] + [utc(2026, 11, 20, 15, 4, 5)] * 4 + \
        [utc(2026, 11, 20, 15, 4, 5, 500000)]
    for other in (reading, decided(["20/11/2026 10:00:00"]), decided([], order=MDY),
                  decided([], culture=culture_named("en-US"))):
        assert [other.parse(c) for c in cells] == expected


def test_a_file_with_no_dates_is_read_as_iso_8601():
    reading = decided([])
    assert (reading.order, reading.culture) == (None, "ISO 8601")
    assert reading.parse("2026-11-20T15:04:05Z") == utc(2026, 11, 20, 15, 4, 5)
    with pytest.raises(RowError, match="nothing in this file tells which"):
        reading.parse("05/11/2026 10:00:00")
    assert DateReading(None, "ISO 8601", "").parse("2026/11/21 13:54:03") == utc(2026, 11, 21, 13, 54, 3)
    assert iso_only() == DateReading(None, "ISO 8601", "the format writes ISO 8601 dates")
    assert iso_only(DMY).parse("05/11/2026 10:00:00") == utc(2026, 11, 5, 10)


def test_received_inside_the_window_only_one_way_settles_the_order():
    window = ("2026-11-01 00:00:00", "2026-11-10 00:00:00", "11/5/2026 3:04:05 PM")
    reading = decided([], window=window)
    assert (reading.order, reading.culture) == (MDY, "en-US")
    assert reading.reason == ("Received (11/5/2026 3:04:05 PM) falls inside the StartDate/EndDate window "
                              "(2026-11-01 00:00:00 .. 2026-11-10 00:00:00) only when read month-first")


def test_a_window_that_fits_neither_way_tells_nothing():
    message = refusal([], window=("2026-10-01 00:00:00", "2026-11-10 00:00:00", "11/5/2026 3:04:05 PM"))
    assert "could be day-first or month-first" in message
    assert "the StartDate/EndDate window fits both" in message


def test_a_day_over_12_decides_even_when_no_culture_in_the_table_writes_the_shape():
    reading = decided(["25/11/2026 10:00:00 AM", "05/11/2026 10:00:00 AM"], delimiter=";")
    assert (reading.order, reading.culture) == (DMY, "no culture in the table")
    assert reading.reason == "a day over 12 comes first (25/11/2026)"
    assert reading.parse("05/11/2026 10:00:00 PM") == utc(2026, 11, 5, 22)
    message = refusal(["05/11/2026 10:00:00 AM"], delimiter=";")
    assert message == (
        "x.csv: its dates (05/11/2026 10:00:00 AM) are written as no culture in the table writes them and could "
        "be day-first or month-first (no day over 12, no StartDate/EndDate to tell): name the order with "
        "--date-order DMY|MDY|YMD")


def test_a_day_over_12_outweighs_the_shapes_of_the_table():
    # 24-hour month-first: no culture in the table writes it, but 11/25 can only be month-first.
    reading = decided(["05/11/2026 10:00:00", "11/25/2026 10:00:00"])
    assert (reading.order, reading.culture) == (MDY, "no culture in the table")
    assert reading.parse("05/11/2026 10:00:00") == utc(2026, 5, 11, 10)


def test_cells_that_are_no_date_say_nothing_about_the_file():
    reading = decided(["05/11/2026 10:00:00", "", "   ", "n/a", "05/11/2026 10:00:00 xyz", "32/13/2026 10:00:00",
                       "05/11/2026 25:00:00", "x" * 200])
    assert reading.order is DMY and reading.culture.startswith("en-GB")


def test_settled_once_nothing_but_a_contradiction_can_change_the_decision():
    def settled(*cells: str, delimiter: str | None = None) -> bool:
        evidence = DateEvidence(delimiter)
        for cell in cells:
            evidence.add(cell)
        return evidence.settled()

    assert not settled()
    assert not settled("05/11/2026 10:00:00")  # day-first by the table's shapes only: a later 11/25 would say no
    assert not settled("5/11/2026 10:00:00 AM")  # could still be either
    assert settled("05/11/2026 10:00:00", "25/11/2026 10:00:00")
    assert settled("11/25/2026 10:00:00 AM")
    assert settled("2026-11-20T15:04:05Z")
    assert settled("2026/11/21 13:54:03")
    assert settled("13/01/2026 10:00:00", "01/13/2026 10:00:00")  # refused whatever follows
    windowed = DateEvidence()
    windowed.add_window(*EN_US_WINDOW, "11/5/2026 10:00:00 AM")
    assert windowed.settled()


# -- reading the rows -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell,needle", [
    ("", "the date is empty"),
    ("   ", "the date is empty"),
    ("20/11/2026 10:00:00 AM", "'20/11/2026 10:00:00 AM' is not a real date read month-first"),
    ("11/31/2026 10:00:00 AM", "is not a real date read month-first"),
    ("11/20/2026 13:04:05 PM", "has hour 13 with PM"),
    ("11/20/2026 0:04:05 AM", "has hour 0 with AM"),
    ("11/20/2026 11:60:05 AM", "is not a real time"),
    ("11/20/2026 15:04:05", "is not written the way this file's dates are (en-US)"),
    ("20.11.2026 3:04:05 PM", "is not written the way this file's dates are (en-US)"),
    ("2026/11/20 3:04:05 PM", "is not written the way this file's dates are (en-US)"),
    ("11/20/2026 3:04:05 xm", "has the designator 'xm', which no culture in the table writes"),
    ("11/20/26 3:04:05 PM", "is not a day, a month and a four-digit year"),
    ("yesterday", "is neither ISO 8601 nor a day, a month and a year"),
    ("2026-02-30T10:00:00Z", "is not a real date and time"),
    ("0001-01-01T00:00:00+01:00", "is outside the years 1 to 9999 in UTC"),
    ("9999-12-31T23:30:00-01:00", "is outside the years 1 to 9999 in UTC"),
    ("2026-11-20T15:04:05.12345678Z", "is neither ISO 8601"),
])
def test_a_cell_the_reading_does_not_accept_is_a_row_error(cell, needle):
    reading = decided(["11/20/2026 3:04:05 PM"])
    with pytest.raises(RowError, match=re.escape(needle)):
        reading.parse(cell)


def test_a_row_error_quotes_at_most_40_characters_of_the_value():
    value = "11/20/2026 3:04:05 " + "P" * 40
    with pytest.raises(RowError) as caught:
        decided(["11/20/2026 3:04:05 PM"]).parse(value)
    assert repr(value[:40]) in str(caught.value) and value[:41] not in str(caught.value)
    with pytest.raises(RowError, match="too long to be a date"):
        decided([]).parse("1" * 100_000)


def test_a_named_culture_reads_its_own_shapes_and_iso_only():
    reading = decided(["05/11/2026 10:00:00 AM"], culture=culture_named("de-DE"))
    assert (reading.order, reading.culture, reading.reason) == (DMY, "--culture de-DE", "named with --culture")
    assert reading.parse("05.11.2026 10:00:00") == utc(2026, 11, 5, 10)
    assert reading.parse("2026-11-05T10:00:00Z") == utc(2026, 11, 5, 10)
    for other in ("05/11/2026 10:00:00", "05.11.2026 10:00:00 AM", "05.11.2026 10.00.00"):
        with pytest.raises(RowError, match="is not written the way"):
            reading.parse(other)
    danish = decided([], culture=culture_named("da-dk"))  # both of its rows: Windows and ICU
    assert danish.parse("05-11-2026 10:00:00") == danish.parse("05.11.2026 10.00.00") == utc(2026, 11, 5, 10)
    both = decided([], order=MDY, culture=culture_named("en-GB"))
    assert (both.culture, both.parse("05/11/2026 10:00:00")) == ("--culture en-GB --date-order MDY",
                                                                 utc(2026, 5, 11, 10))


def test_a_named_order_reads_any_separator_and_designator():
    reading = decided(["anything"], order=DMY)
    for cell in ("5.11.2026 3:04:05 PM", "5-11-2026 15:04:05", "5/11/2026 오후 3:04:05", "05/11/2026 3:04:05 p. m.",
                 "5/11/2026 15:04:05.0", "05/11/2026 3:04:05\u202fPM"):
        assert reading.parse(cell) == utc(2026, 11, 5, 15, 4, 5), cell
    assert reading.parse("2026/11/05 15:04") == utc(2026, 11, 5, 15, 4)  # year-first needs no order
    assert reading.parse("5/11/2026") == utc(2026, 11, 5)
    with pytest.raises(RowError, match="not year-first"):
        decided([], order=DateOrder.YMD).parse("5/11/2026 15:04:05")


def test_cultures_are_named_case_insensitively_and_an_unknown_one_is_refused_on_one_line():
    assert culture_named(" EN-gb ").name == "en-GB"
    assert culture_named("da-DK").date_sep == "-"  # Windows's row first
    with pytest.raises(UsageError) as caught:
        culture_named("xx-YY")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("unknown culture 'xx-YY': the cultures known are en-US, ")
    assert "ko-KR" in message and message.count("da-DK") == 1


def test_date_orders_are_named_case_insensitively():
    assert [parse_date_order(t) for t in ("dmy", " MDY ", "Ymd")] == [DMY, MDY, DateOrder.YMD]
    with pytest.raises(UsageError, match="^--date-order is DMY, MDY or YMD, not 'DM'$"):
        parse_date_order("DM")


def test_the_table_has_the_cultures_admins_use_most():
    names = {c.name for c in CULTURES}
    assert names >= {"en-US", "en-GB", "de-DE", "fr-FR", "da-DK", "nl-NL", "sv-SE", "ja-JP", "zh-CN", "en-CA",
                     "pt-BR", "es-ES", "en-AU", "en-IN", "fr-CA", "it-IT", "nb-NO", "fi-FI", "pl-PL", "ru-RU",
                     "es-MX", "pt-PT", "ko-KR", "zh-TW"}
    assert all(c.clock == 24 or (c.am and c.pm) for c in CULTURES)
    assert all((c.clock == 12) == bool(c.am) for c in CULTURES)


# How .NET writes DateTime.ToString() ("G": short date + long time) in each culture, kept apart from the
# module's table on purpose: name -> [(pattern, AM, PM, list separator)], Windows (NLS) first, then ICU
# where it writes another shape.
DOTNET_G = {
    "en-US": [("M/d/yyyy h:mm:ss tt", "AM", "PM", ",")],
    "en-GB": [("dd/MM/yyyy HH:mm:ss", "", "", ",")],
    "en-AU": [("d/MM/yyyy h:mm:ss tt", "AM", "PM", ","), ("d/M/yyyy h:mm:ss tt", "am", "pm", ",")],
    "en-IN": [("dd-MM-yyyy HH:mm:ss", "", "", ","), ("dd/MM/yyyy h:mm:ss tt", "am", "pm", ",")],
    "en-CA": [("yyyy-MM-dd h:mm:ss tt", "a.m.", "p.m.", ",")],
    "fr-CA": [("yyyy-MM-dd HH:mm:ss", "", "", ";")],
    "de-DE": [("dd.MM.yyyy HH:mm:ss", "", "", ";")],
    "fr-FR": [("dd/MM/yyyy HH:mm:ss", "", "", ";")],
    "da-DK": [("dd-MM-yyyy HH:mm:ss", "", "", ";"), ("dd.MM.yyyy HH.mm.ss", "", "", ";")],
    "nl-NL": [("d-M-yyyy HH:mm:ss", "", "", ";"), ("dd-MM-yyyy HH:mm:ss", "", "", ";")],
    "sv-SE": [("yyyy-MM-dd HH:mm:ss", "", "", ";")],
    "nb-NO": [("dd.MM.yyyy HH:mm:ss", "", "", ";")],
    "fi-FI": [("d.M.yyyy H:mm:ss", "", "", ";"), ("d.M.yyyy H.mm.ss", "", "", ";")],
    "pl-PL": [("dd.MM.yyyy HH:mm:ss", "", "", ";")],
    "ru-RU": [("dd.MM.yyyy H:mm:ss", "", "", ";")],
    "it-IT": [("dd/MM/yyyy HH:mm:ss", "", "", ";")],
    "es-ES": [("dd/MM/yyyy H:mm:ss", "", "", ";")],
    "es-MX": [("dd/MM/yyyy hh:mm:ss tt", "a. m.", "p. m.", ",")],
    "es-US": [("M/d/yyyy h:mm:ss tt", "a. m.", "p. m.", ",")],
    "pt-BR": [("dd/MM/yyyy HH:mm:ss", "", "", ";")],
    "pt-PT": [("dd/MM/yyyy HH:mm:ss", "", "", ";")],
    "ja-JP": [("yyyy/MM/dd H:mm:ss", "", "", ",")],
    "zh-CN": [("yyyy/M/d H:mm:ss", "", "", ",")],
    "zh-TW": [("yyyy/M/d tt hh:mm:ss", "上午", "下午", ",")],
    "ko-KR": [("yyyy-MM-dd tt h:mm:ss", "오전", "오후", ",")],
}
WRITINGS = [(name, *writing) for name, writings in DOTNET_G.items() for writing in writings]
_TOKEN = re.compile(r"yyyy|MM|M|dd|d|HH|H|hh|h|mm|ss|tt|.", re.DOTALL)


def dotnet_format(moment: datetime, pattern: str, am: str, pm: str) -> str:
    """DateTime.ToString(pattern) for the tokens the "G" patterns use."""
    hour12 = moment.hour % 12 or 12
    values = {"yyyy": f"{moment.year:04d}", "MM": f"{moment.month:02d}", "M": str(moment.month),
              "dd": f"{moment.day:02d}", "d": str(moment.day), "HH": f"{moment.hour:02d}", "H": str(moment.hour),
              "hh": f"{hour12:02d}", "h": str(hour12), "mm": f"{moment.minute:02d}", "ss": f"{moment.second:02d}",
              "tt": am if moment.hour < 12 else pm}
    return "".join(values.get(token, token) for token in _TOKEN.findall(pattern))


def test_the_formatter_writes_as_dotnet_does():
    moment = datetime(2026, 1, 5, 13, 4, 5)
    assert dotnet_format(moment, "M/d/yyyy h:mm:ss tt", "AM", "PM") == "1/5/2026 1:04:05 PM"
    assert dotnet_format(moment, "yyyy/M/d tt hh:mm:ss", "上午", "下午") == "2026/1/5 下午 01:04:05"
    assert dotnet_format(moment, "dd.MM.yyyy HH.mm.ss", "", "") == "05.01.2026 13.04.05"
    assert dotnet_format(moment.replace(hour=0), "h tt", "AM", "PM") == "12 AM"


def test_every_culture_of_the_table_is_written_by_the_property_test():
    assert {c.name for c in CULTURES} == set(DOTNET_G)


MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 20)).map(
    lambda moment: moment.replace(microsecond=0))


@st.composite
def exports(draw) -> tuple[list[datetime], tuple[datetime, datetime] | None]:
    """1..30 Received times; with a StartDate/EndDate window (at most 10 days) holding them, or without."""
    if draw(st.booleans()):
        start = draw(MOMENTS)
        end = start + timedelta(seconds=draw(st.integers(0, 10 * 86400)))
        span = int((end - start).total_seconds())
        offsets = draw(st.lists(st.integers(0, span), min_size=1, max_size=30))
        return [start + timedelta(seconds=s) for s in offsets], (start, end)
    return draw(st.lists(MOMENTS, min_size=1, max_size=30)), None


@pytest.mark.parametrize("name,pattern,am,pm,list_sep", WRITINGS, ids=[f"{w[0]} {w[1]}" for w in WRITINGS])
@given(export=exports(), delimiter_choice=st.sampled_from(["none", "comma", "culture"]))
def test_every_culture_is_read_right_or_refused_never_wrong(name, pattern, am, pm, list_sep, export,
                                                            delimiter_choice):
    received, window = export
    delimiter = {"none": None, "comma": ",", "culture": list_sep}[delimiter_choice]
    write = lambda moment: dotnet_format(moment, pattern, am, pm)  # noqa: E731
    evidence = DateEvidence(delimiter)
    for moment in received:
        if window:
            evidence.add_window(write(window[0]), write(window[1]), write(moment))
        else:
            evidence.add(write(moment))
    year_first = pattern.startswith("yyyy")
    moments = received + list(window or ())
    try:
        reading = evidence.decide("x.csv")
    except UsageError as refused:
        # Refused only when nothing tells: every day 12 or less (a day over 12 would have settled it).
        assert not year_first and all(m.day <= 12 for m in moments), str(refused)
        return
    assert reading.order is (None if year_first else (DMY if pattern[0] == "d" else MDY))
    for moment in moments:
        assert reading.parse(write(moment)) == moment.replace(tzinfo=UTC), (write(moment), reading)

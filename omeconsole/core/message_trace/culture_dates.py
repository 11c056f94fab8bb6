"""Dates in trace exports as the exporting machine's culture wrote them (11/20/2026 3:04:05 PM, 20.11.2026 15:04:05,
2026/11/20 15:04:05, ...). The date order is decided per file from the evidence of the whole file: a day over 12,
AM/PM designators, the separators, the StartDate/EndDate window and the CSV delimiter; never per row, never by guess.
A file the evidence does not settle is refused with the way out (--date-order or --culture)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

from omeconsole.core.errors import UsageError
from omeconsole.core.message_trace.export_rows import RowError


class DateOrder(str, Enum):
    DMY = "DMY"
    MDY = "MDY"
    YMD = "YMD"


DMY, MDY, YMD = DateOrder.DMY, DateOrder.MDY, DateOrder.YMD


@dataclass(frozen=True)
class Culture:
    """How one culture writes a date with .NET's default "G" pattern (short date + long time), and its CSV."""

    name: str
    order: DateOrder
    date_sep: str
    time_sep: str
    clock: int  # 12 or 24: whether the culture writes an AM/PM designator
    am: str
    pm: str
    designator_first: bool  # the designator before the time (ko-KR, zh-TW)
    list_sep: str  # Export-Csv -UseCulture's delimiter
    decimal_sep: str


# "Windows" is what Windows PowerShell 5.1 (NLS) writes, and PowerShell 7 on Windows with the user's settings;
# "ICU" is .NET on ICU (PowerShell 7 on Linux or macOS). One row when both write the same shape.
CULTURES: tuple[Culture, ...] = (
    #       name     order date time clock am       pm       first  list  decimal   "G" pattern
    Culture("en-US", MDY, "/", ":", 12, "AM", "PM", False, ",", "."),  # M/d/yyyy h:mm:ss tt
    Culture("en-GB", DMY, "/", ":", 24, "", "", False, ",", "."),  # dd/MM/yyyy HH:mm:ss
    Culture("en-AU", DMY, "/", ":", 12, "AM", "PM", False, ",", "."),  # d/MM/yyyy h:mm:ss tt (ICU d/M/yyyy, am/pm)
    Culture("en-IN", DMY, "-", ":", 24, "", "", False, ",", "."),  # Windows: dd-MM-yyyy HH:mm:ss
    Culture("en-IN", DMY, "/", ":", 12, "am", "pm", False, ",", "."),  # ICU: dd/MM/yyyy h:mm:ss tt
    Culture("en-CA", YMD, "-", ":", 12, "a.m.", "p.m.", False, ",", "."),  # yyyy-MM-dd h:mm:ss tt
    Culture("fr-CA", YMD, "-", ":", 24, "", "", False, ";", ","),  # Windows: yyyy-MM-dd HH:mm:ss (ICU's "15 h 04
    #                                                                min 05 s" is not read)
    Culture("de-DE", DMY, ".", ":", 24, "", "", False, ";", ","),  # dd.MM.yyyy HH:mm:ss
    Culture("fr-FR", DMY, "/", ":", 24, "", "", False, ";", ","),  # dd/MM/yyyy HH:mm:ss
    Culture("da-DK", DMY, "-", ":", 24, "", "", False, ";", ","),  # Windows: dd-MM-yyyy HH:mm:ss
    Culture("da-DK", DMY, ".", ".", 24, "", "", False, ";", ","),  # ICU: dd.MM.yyyy HH.mm.ss
    Culture("nl-NL", DMY, "-", ":", 24, "", "", False, ";", ","),  # Windows d-M-yyyy, ICU dd-MM-yyyy; HH:mm:ss
    Culture("sv-SE", YMD, "-", ":", 24, "", "", False, ";", ","),  # yyyy-MM-dd HH:mm:ss
    Culture("nb-NO", DMY, ".", ":", 24, "", "", False, ";", ","),  # dd.MM.yyyy HH:mm:ss
    Culture("fi-FI", DMY, ".", ":", 24, "", "", False, ";", ","),  # Windows: d.M.yyyy H:mm:ss
    Culture("fi-FI", DMY, ".", ".", 24, "", "", False, ";", ","),  # ICU: d.M.yyyy H.mm.ss
    Culture("pl-PL", DMY, ".", ":", 24, "", "", False, ";", ","),  # dd.MM.yyyy HH:mm:ss
    Culture("ru-RU", DMY, ".", ":", 24, "", "", False, ";", ","),  # dd.MM.yyyy H:mm:ss
    Culture("it-IT", DMY, "/", ":", 24, "", "", False, ";", ","),  # dd/MM/yyyy HH:mm:ss
    Culture("es-ES", DMY, "/", ":", 24, "", "", False, ";", ","),  # dd/MM/yyyy H:mm:ss
    Culture("es-MX", DMY, "/", ":", 12, "a. m.", "p. m.", False, ",", "."),  # Windows: dd/MM/yyyy hh:mm:ss tt
    # es-US writes es-MX's designators month-first: without it, its days of 12 or less would pass for es-MX's
    Culture("es-US", MDY, "/", ":", 12, "a. m.", "p. m.", False, ",", "."),  # Windows: M/d/yyyy h:mm:ss tt
    Culture("pt-BR", DMY, "/", ":", 24, "", "", False, ";", ","),  # dd/MM/yyyy HH:mm:ss
    Culture("pt-PT", DMY, "/", ":", 24, "", "", False, ";", ","),  # dd/MM/yyyy HH:mm:ss
    Culture("ja-JP", YMD, "/", ":", 24, "", "", False, ",", "."),  # yyyy/MM/dd H:mm:ss
    Culture("zh-CN", YMD, "/", ":", 24, "", "", False, ",", "."),  # yyyy/M/d H:mm:ss
    Culture("zh-TW", YMD, "/", ":", 12, "上午", "下午", True, ",", "."),  # Windows: yyyy/M/d tt hh:mm:ss
    Culture("ko-KR", YMD, "-", ":", 12, "오전", "오후", True, ",", "."),  # Windows: yyyy-MM-dd tt h:mm:ss
)

WINDOW_DAYS = 10  # Get-MessageTrace's StartDate/EndDate: at most 10 days apart
# StartDate/EndDate may be the query's local times while Received is UTC: a Received this far outside still fits.
WINDOW_SLACK = timedelta(hours=14)
LONGEST = 64  # no date any culture writes is longer; a longer cell is refused before any pattern runs

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,7}))?)?(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
# Every culture's date with ONE pattern: three numbers with one separator; the time (h, m, optional s and fraction);
# a designator (any run of non-digits: "PM", "p. m.", "오후") before or after the time.
_CELL = re.compile(
    r"([0-9]{1,4})([/.\-])([0-9]{1,2})\2([0-9]{1,4})"
    r"(?:\s+(?:([^0-9\s][^0-9]*?)\s*)?"
    r"([0-9]{1,2})([:.])([0-9]{2})(?:\7([0-9]{2})(?:([.,])([0-9]{1,7}))?)?"
    r"(?:\s*([^0-9\s][^0-9]*?))?)?\s*"
)


def _norm(designator: str) -> str:
    """Designators compare case-insensitively and without spaces: es-MX's "p. m." is en-CA's "p.m.", en-AU's
    Windows "PM" is its ICU "pm". Dots count: "pm" and "p.m." are different cultures' designators."""
    return "".join(designator.split()).casefold()


# AM (False) or PM (True) for every designator the table writes, and Japanese, written by 12-hour custom formats.
_DESIGNATORS: dict[str, bool] = {_norm(c.am): False for c in CULTURES if c.am}
_DESIGNATORS.update({_norm(c.pm): True for c in CULTURES if c.pm})
_DESIGNATORS.update({"午前": False, "午後": True})

_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _real(year: int, month: int, day: int) -> bool:
    if not (1 <= month <= 12 and 1 <= day <= _DAYS[month] and year >= 1):
        return False
    return month != 2 or day < 29 or (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))


def _words(order: DateOrder) -> str:
    return {DMY: "day-first", MDY: "month-first", YMD: "year-first"}[order]


def _names(cultures: list[Culture] | tuple[Culture, ...]) -> str:
    return ", ".join(dict.fromkeys(c.name for c in cultures))


def culture_named(name: str) -> Culture:
    """The table's culture of that name (case-insensitive); the first of its rows when it has two."""
    wanted = name.strip().casefold()
    for culture in CULTURES:
        if culture.name.casefold() == wanted:
            return culture
    raise UsageError(f"unknown culture {name.strip()[:40]!r}: the cultures known are {_names(CULTURES)}")


def parse_date_order(text: str) -> DateOrder:
    try:
        return DateOrder(text.strip().upper())
    except ValueError:
        raise UsageError(f"--date-order is DMY, MDY or YMD, not {text.strip()[:40]!r}") from None


# -- one cell's shape ------------------------------------------------------------------------------------------

# (date separator, year first, time separator, fraction separator, normalised designator, where: 0 none,
# 1 before the time, 2 after it). Two designators or an unknown one never fit.
Shape = tuple[str, bool, str, str, str, int]
# A StartDate/EndDate window read one way: its first and last moment, "" when over 10 days, None when no dates.
Span = tuple[datetime, datetime] | str | None


def _shape(groups: tuple[str | None, ...]) -> Shape | None:
    """The cell's shape, or None when it is not day, month and year with a four-digit year."""
    first, date_sep, _, third, before, _, time_sep, _, _, frac_sep, _, after = groups
    assert first is not None and third is not None and date_sep is not None
    year_first = len(first) == 4 and len(third) <= 2
    if not year_first and not (len(first) <= 2 and len(third) == 4):
        return None
    where = (1 if before else 0) + (2 if after else 0)
    return (date_sep, year_first, time_sep or "", frac_sep or "", _norm(before or after or ""), where)


def _misfit(culture: Culture, shape: Shape) -> tuple[str, str, str] | None:
    """Why the culture does not write this shape: (what, the cell's, the culture's), or None when it does."""
    date_sep, year_first, time_sep, frac_sep, designator, where = shape
    if year_first != (culture.order is YMD):
        return ("order", "year-first" if year_first else "day or month first", _words(culture.order))
    if time_sep and culture.clock == 12 and not designator:
        return ("no designator", "", "")
    if designator and culture.clock == 24:
        return ("designator", designator, "")
    if designator and designator not in (_norm(culture.am), _norm(culture.pm)):
        return ("designator text", designator, f"{culture.am}/{culture.pm}")
    if designator and where != (1 if culture.designator_first else 2):
        return ("designator place", "before" if where == 1 else "after", "after" if where == 1 else "before")
    if date_sep != culture.date_sep:
        return ("date separator", date_sep, culture.date_sep)
    if time_sep and time_sep != culture.time_sep:
        return ("time separator", time_sep, culture.time_sep)
    if frac_sep == "," and culture.decimal_sep != ",":
        return ("decimal", frac_sep, culture.decimal_sep)
    return None


_FIT_MASKS: dict[Shape, int] = {}


def _fit_mask(shape: Shape) -> int:
    """The table's rows (one bit each) that write this shape."""
    mask = _FIT_MASKS.get(shape)
    if mask is None:
        mask = sum(1 << i for i, c in enumerate(CULTURES) if _misfit(c, shape) is None)
        _FIT_MASKS[shape] = mask
    return mask


_ALL = (1 << len(CULTURES)) - 1
_SEMICOLON = sum(1 << i for i, c in enumerate(CULTURES) if c.list_sep == ";")


def _misfit_phrase(what: str, seen: str, theirs: str, names: str, one: bool) -> str:
    s = "s" if one else ""
    return {
        "no designator": f"no AM/PM designator ({names} always write{s} one)",
        "designator": f"an AM/PM designator ({names} never write{s} one)",
        "designator text": f"the designator {seen!r} ({names} write{s} {theirs})",
        "designator place": f"the designator {seen} the time ({names} write{s} it {theirs})",
        "date separator": f"the {seen!r} date separator ({names} write{s} {theirs!r})",
        "time separator": f"the {seen!r} time separator ({names} write{s} {theirs!r})",
        "decimal": f"a {seen!r} before the fraction of a second ({names} write{s} {theirs!r})",
        "delimiter": f"the {seen!r} delimiter ({names} write{s} {theirs!r} with -UseCulture)",
        "order": f"{seen} dates ({names} write{s} {theirs})",
    }[what]


# -- reading a file's dates ------------------------------------------------------------------------------------

# What a reading does with one shape of cell: where its year, month and day are among the match's groups, and the
# designator's meaning (None: none, False: AM, True: PM), or why the shape is refused.
Verdict = tuple[int, int, int, bool | None] | str
_POSITIONS = {DMY: (3, 2, 0), MDY: (3, 0, 2)}


@dataclass(frozen=True)
class DateReading:
    """How one file's dates are read. With cultures, only their shapes (and ISO 8601); without, any shape, the
    numbers read in `order` (year-first cells need none)."""

    order: DateOrder | None
    culture: str
    reason: str
    cultures: tuple[Culture, ...] = field(default=(), repr=False, compare=False)
    _verdicts: dict[tuple[str | int | None, ...], Verdict] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def parse(self, text: str) -> datetime:
        """The cell as an aware UTC datetime (naive times are UTC, as Exchange reports them); RowError if it is
        empty, not a shape this reading accepts, or not a real date or time."""
        value = text.strip() if text else ""
        if not value:
            raise RowError("the date is empty")
        if len(value) > LONGEST:
            raise RowError(f"date {value[:40]!r} is too long to be a date")
        if value[4:5] == "-" and _ISO.fullmatch(value):
            return _iso_moment(value)
        match = _CELL.fullmatch(value)
        if match is None:
            raise RowError(f"date {value[:40]!r} is neither ISO 8601 nor a day, a month and a year")
        groups = match.groups()
        key = (groups[1], len(groups[0] or ""), len(groups[3] or ""), groups[4], groups[6], groups[9], groups[11])
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = self._verdict(groups)
        if isinstance(verdict, str):
            raise RowError(f"date {value[:40]!r} {verdict}")
        year, month, day, pm = verdict
        hour = int(groups[5] or 0)
        if pm is not None:
            if not 1 <= hour <= 12:
                raise RowError(f"date {value[:40]!r} has hour {hour} with {(groups[4] or groups[11] or '').strip()}")
            hour = (hour % 12 + 12) if pm else hour % 12
        fraction = groups[10]
        try:
            return datetime(int(groups[year] or 0), int(groups[month] or 0), int(groups[day] or 0), hour,
                            int(groups[7] or 0), int(groups[8] or 0), int((fraction + "00000")[:6]) if fraction else 0,
                            tzinfo=UTC)
        except ValueError:
            raise RowError(f"date {value[:40]!r} {self._not_real(groups, verdict, hour)}") from None

    def _not_real(self, groups: tuple[str | None, ...], verdict: tuple[int, int, int, bool | None], hour: int) -> str:
        if hour > 23 or int(groups[7] or 0) > 59 or int(groups[8] or 0) > 59:
            return "is not a real time"
        return "is not a real date" + ("" if verdict[0] == 0 else f" read {_words(self.order or YMD)}")

    def _verdict(self, groups: tuple[str | None, ...]) -> Verdict:
        shape = _shape(groups)
        if shape is None:
            return "is not a day, a month and a four-digit year"
        _, year_first, _, _, designator, where = shape
        if where == 3:
            return "has two AM/PM designators"
        pm = _DESIGNATORS.get(designator) if designator else None
        if designator and pm is None:
            return f"has the designator {(groups[4] or groups[11] or '')[:20]!r}, which no culture in the table writes"
        if self.cultures and not any(_misfit(c, shape) is None for c in self.cultures):
            return f"is not written the way this file's dates are ({self.culture})"
        if year_first:
            return (0, 2, 3, pm)
        if self.order is DMY or self.order is MDY:
            return (*_POSITIONS[self.order], pm)
        if self.order is YMD:
            return f"is day or month first, not year-first ({self.culture})"
        return f"is day or month first, and nothing in this file tells which ({self.culture})"


def _iso_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.upper())  # the pattern admits only what it reads, bar "t" and "z"
    except ValueError:
        raise RowError(f"date {value[:40]!r} is not a real date and time") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # an offset that takes it past year 1 or 9999 in UTC
        raise RowError(f"date {value[:40]!r} is outside the years 1 to 9999 in UTC") from None


def iso_only(order: DateOrder | None = None, culture: Culture | None = None) -> DateReading:
    """A format whose dates are ISO 8601 (JSON exports): the person's order or culture if named, else ISO."""
    if order is not None or culture is not None:
        return _named(order, culture)
    return DateReading(None, "ISO 8601", "the format writes ISO 8601 dates")


def _named(order: DateOrder | None, culture: Culture | None) -> DateReading:
    """The person's --date-order (any shape, that order) or --culture (that culture's shapes, all its rows)."""
    if culture is None:
        assert order is not None
        return DateReading(order, f"--date-order {order.value}", "named with --date-order")
    rows = tuple(c for c in CULTURES if c.name == culture.name)
    label = f"--culture {culture.name}" + (f" --date-order {order.value}" if order else "")
    reason = "named with --culture" + (" and --date-order" if order else "")
    return DateReading(order or culture.order, label, reason, rows if culture in rows else (culture,))


# -- the evidence ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    reading: DateReading | None
    refusal: str  # without the file's name; empty when there is a reading
    settled: bool


class DateEvidence:
    """Evidence about a file's dates, gathered cell by cell."""

    def __init__(self, delimiter: str | None = None):
        self._delimiter = delimiter
        # Export-Csv writes "," in every culture unless -UseCulture: only ";" says something.
        self._mask = _SEMICOLON if delimiter == ";" else _ALL
        self._shapes: dict[Shape, str] = {}  # each shape seen, with its first cell
        self._iso = False
        self._day_month: str | None = None  # the first cell that is day or month first
        self._year_first: str | None = None
        self._undecided: str | None = None  # the first cell real both ways
        self._windows = False
        self._spans: dict[tuple[str, str], dict[DateOrder, Span]] = {}
        self._out: dict[DateOrder, str] = {}  # an order ruled out: the evidence, in words
        self._against: dict[DateOrder, str] = {}  # the same, said as what the other order gives
        self._version = 0
        self._outcome: tuple[int, _Outcome] | None = None

    def add(self, text: str) -> None:
        """One date cell (Received, origin_timestamp_utc, ...). Cells that are no date at all are left to the
        rows: they are refused there, and say nothing about the file."""
        value = text.strip() if text else ""
        if not value or len(value) > LONGEST:
            return
        if value[4:5] == "-" and _ISO.fullmatch(value):
            if not self._iso:
                self._iso = True
                self._version += 1
            return
        cell = _cell(value)
        if cell is None:
            return
        shape, numbers = cell
        if shape not in self._shapes:
            self._shapes[shape] = value
            mask = self._mask & _fit_mask(shape)
            if mask != self._mask:
                self._mask = mask
                self._version += 1
        if shape[1]:
            if self._year_first is None:
                self._year_first = value
                self._version += 1
            return
        self._day_month_evidence(value, numbers)

    def _day_month_evidence(self, value: str, numbers: tuple[int, int, int]) -> None:
        first, second, year = numbers
        if self._day_month is None:
            self._day_month = value
            self._version += 1
        day_first, month_first = _real(year, second, first), _real(year, first, second)
        date = value.split()[0]
        if day_first and month_first:
            if self._undecided is None:
                self._undecided = value
                self._version += 1
        elif day_first:
            self._rule_out(MDY, f"a day over 12 comes first ({date})", f"{date} is a real date only read day-first")
        elif month_first:
            self._rule_out(DMY, f"a day over 12 comes second ({date})",
                           f"{date} is a real date only read month-first")

    def _rule_out(self, order: DateOrder, why: str, against: str) -> None:
        if order not in self._out:
            self._out[order] = why
            self._against[order] = against
            self._version += 1

    def add_window(self, start: str, end: str, received: str | None = None) -> None:
        """A PowerShell row's StartDate/EndDate (the query's window: at most 10 days when read the right way) and
        that row's Received (inside the window when read the right way)."""
        if received:
            self.add(received)
        spans = self._spans.get((start, end))
        if spans is None:  # every row of one query repeats its window: read it once
            self.add(start)
            self.add(end)
            if len(self._spans) >= 64:
                self._spans.clear()
            spans = self._spans[(start, end)] = {order: _span(start, end, order) for order in (DMY, MDY)}
        if not self._windows:
            self._windows = True
            self._version += 1
        fits: dict[DateOrder, bool] = {}
        for order, span in spans.items():
            if span is None:
                return  # not dates read this way: the cells themselves said so
            if isinstance(span, str):
                fits[order] = False  # over 10 days
                continue
            inside = _inside(received, span, order) if received else True
            if inside is None:
                return
            fits[order] = inside
        if fits[DMY] == fits[MDY]:
            return  # no help telling the orders apart (a window that fits neither tells nothing)
        wrong, right = (MDY, DMY) if fits[DMY] else (DMY, MDY)
        window = f"{start.strip()[:40]} .. {end.strip()[:40]}"
        if spans[wrong] == "":
            why = f"the StartDate/EndDate window ({window}) is {WINDOW_DAYS} days or less only when read " \
                  f"{_words(right)}"
        else:
            why = (f"Received ({(received or '').strip()[:40]}) falls inside the StartDate/EndDate window ({window}) "
                   f"only when read {_words(right)}")
        self._rule_out(wrong, why, why)

    def settled(self) -> bool:
        """True once the decision can no longer change except by a contradiction: the order is pinned by a day
        over 12 or the window, or the dates are year-first or ISO 8601 (a later day-or-month-first cell would
        then be refused with its row, never read wrong)."""
        return self._decided().settled

    def decide(self, what: str, order: DateOrder | None = None, culture: Culture | None = None) -> DateReading:
        """How the file's dates are read: the person's --date-order/--culture if named, else the evidence;
        one-line UsageError when the evidence cannot tell."""
        if order is not None or culture is not None:
            return _named(order, culture)
        outcome = self._decided()
        if outcome.reading is None:
            raise UsageError(f"{what}: {outcome.refusal}")
        return outcome.reading

    def _decided(self) -> _Outcome:
        if self._outcome is None or self._outcome[0] != self._version:
            self._outcome = (self._version, self._judge())
        return self._outcome[1]

    def _candidates(self) -> list[Culture]:
        return [c for i, c in enumerate(CULTURES) if self._mask >> i & 1]

    def _judge(self) -> _Outcome:
        if self._day_month is None:
            return self._judge_without_order()
        feasible = [o for o in (DMY, MDY) if o not in self._out]
        if not feasible:
            return _Outcome(None, self._contradiction(), True)
        candidates = [c for c in self._candidates() if c.order in feasible]
        orders = {c.order for c in candidates}
        if len(orders) == 2:
            return _Outcome(None, self._ambiguous(candidates), False)
        if orders:
            chosen = orders.pop()
            reading = DateReading(chosen, _names(candidates), self._why(chosen), tuple(candidates))
            return _Outcome(reading, "", len(feasible) == 1)
        if len(feasible) == 1:
            chosen = feasible[0]
            return _Outcome(DateReading(chosen, "no culture in the table", self._why(chosen)), "", True)
        return _Outcome(None, self._unknown_shape(), False)

    def _judge_without_order(self) -> _Outcome:
        if self._year_first is None:
            reason = "every date is ISO 8601" if self._iso else "no dates to judge"
            return _Outcome(DateReading(None, "ISO 8601", reason), "", self._iso)
        candidates = self._candidates()
        reason = f"year-first dates need no order ({self._year_first})"
        if candidates:
            return _Outcome(DateReading(None, _names(candidates), reason, tuple(candidates)), "", True)
        return _Outcome(DateReading(None, "no culture in the table", reason), "", True)

    def _why(self, chosen: DateOrder) -> str:
        """The strongest evidence against the other order: a day over 12, the window, then the shapes."""
        other = MDY if chosen is DMY else DMY
        if other in self._out:
            return self._out[other]
        return self._shape_evidence([c for c in CULTURES if c.order is other])

    def _shape_evidence(self, excluded: list[Culture]) -> str:
        """Why these cultures did not write this file, grouped: "no AM/PM designator (en-US always writes one)"."""
        groups: dict[tuple[str, str, str], list[Culture]] = {}
        for culture in excluded:
            misfit = self._misfit(culture)
            if misfit is not None:
                groups.setdefault(misfit, []).append(culture)
        phrases = [_misfit_phrase(*misfit, _names(cultures), len(set(c.name for c in cultures)) == 1)
                   for misfit, cultures in groups.items()]
        return "; ".join(phrases)

    def _misfit(self, culture: Culture) -> tuple[str, str, str] | None:
        misfits = [m for m in (_misfit(culture, shape) for shape in self._shapes) if m is not None]
        if misfits:
            return misfits[0]
        if self._delimiter == ";" and culture.list_sep != ";":
            return ("delimiter", ";", culture.list_sep)
        return None

    def _ambiguous(self, candidates: list[Culture]) -> str:
        window = "and the StartDate/EndDate window fits both" if self._windows else "no StartDate/EndDate to tell"
        day_first = _names([c for c in candidates if c.order is DMY])
        month_first = _names([c for c in candidates if c.order is MDY])
        return (f"its dates could be day-first or month-first ({self._undecided}; no day over 12, {window}; "
                f"month-first: {month_first}; day-first: {day_first}): name the order with --date-order "
                f"DMY|MDY|YMD, or the culture that wrote it with --culture NAME ({_names(candidates)}, ...)")

    def _contradiction(self) -> str:
        return (f"its dates contradict each other: {self._against[DMY]}, but {self._against[MDY]}: name the order "
                "with --date-order DMY|MDY|YMD to import the rows written that way")

    def _unknown_shape(self) -> str:
        window = "and the StartDate/EndDate window fits both" if self._windows else "no StartDate/EndDate to tell"
        return (f"its dates ({self._undecided}) are written as no culture in the table writes them and could be "
                f"day-first or month-first (no day over 12, {window}): name the order with --date-order "
                "DMY|MDY|YMD")


def _cell(value: str) -> tuple[Shape, tuple[int, int, int]] | None:
    """A culture-written cell's shape and its three numbers, or None when it is no readable date in any order
    (an unknown designator, two of them, an hour or minute out of range, a date real neither way)."""
    match = _CELL.fullmatch(value)
    if match is None:
        return None
    groups = match.groups()
    shape = _shape(groups)
    if shape is None or shape[5] == 3:
        return None
    designator = shape[4]
    hour, minute, second = int(groups[5] or 0), int(groups[7] or 0), int(groups[8] or 0)
    if designator and (designator not in _DESIGNATORS or not 1 <= hour <= 12):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    numbers = int(groups[0] or 0), int(groups[2] or 0), int(groups[3] or 0)
    if shape[1]:
        return (shape, numbers) if _real(*numbers) else None
    first, second_number, year = numbers
    if not (_real(year, second_number, first) or _real(year, first, second_number)):
        return None
    return shape, numbers


_ANY_SHAPE = {order: DateReading(order, "", "") for order in (DMY, MDY)}


def _span(start: str, end: str, order: DateOrder) -> Span:
    """The window read in this order: its first and last moment when 0..10 days apart, "" when not, None when
    the cells are no dates read this way."""
    reading = _ANY_SHAPE[order]
    try:
        first, last = reading.parse(start), reading.parse(end)
    except RowError:
        return None
    return (first, last) if timedelta(0) <= last - first <= timedelta(days=WINDOW_DAYS) else ""


def _inside(received: str, span: tuple[datetime, datetime], order: DateOrder) -> bool | None:
    """Whether Received read in this order falls inside the window; None when it is no date read this way."""
    try:
        moment = _ANY_SHAPE[order].parse(received)
    except RowError:
        return None
    return span[0] - WINDOW_SLACK <= moment <= span[1] + WINDOW_SLACK

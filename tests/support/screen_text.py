"""What a failed SVG snapshot shows, as text a CI log can hold: which lines of the screen differ.

pytest-textual-snapshot writes its side-by-side report to a temporary directory that is gone once
CI ends; a rare mismatch is only understood if the failure itself says what was on the screen.
"""

from __future__ import annotations

import difflib
import html
import pickle
import re
from pathlib import Path

from pytest_textual_snapshot import normalize_svg

_CELL = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>')
CELL_WIDTH = 12.2  # Rich's SVG export: one terminal column, in SVG units
SHOWN = 40  # the most differing lines a failure prints


def screen_lines(svg: str) -> list[str]:
    """The screen's text, row by row, as a terminal would show it (styles dropped)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in _CELL.finditer(svg):
        text = html.unescape(re.sub("<[^>]+>", "", match[3])).replace("\xa0", " ")
        rows.setdefault(float(match[2]), []).append((float(match[1]), text))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / CELL_WIDTH)) + text
        lines.append(line.rstrip())
    return lines


def difference(expected: str, actual: str) -> str:
    """The screen lines that differ; if the text is the same, the SVG lines that do (a style changed)."""
    said = _diff(screen_lines(expected), screen_lines(actual))
    if said:
        return "the screen's text differs:\n" + said
    return ("the screen's text is the same; its SVG differs (a style):\n"
            + _diff(normalize_svg(expected).splitlines(), normalize_svg(actual).splitlines()))


def reported_difference(report: Path) -> str:
    """The difference pytest-textual-snapshot recorded for this test (its pickled report entry)."""
    try:
        entry = _entry(report)
    except (OSError, pickle.UnpicklingError, EOFError) as error:
        return f"(no report entry to show: {error})"
    return difference(str(entry[1]), str(entry[2]))


def _diff(expected: list[str], actual: list[str]) -> str:
    lines = [line for line in difflib.unified_diff(expected, actual, "snapshot", "this run", n=0, lineterm="")]
    return "\n".join(lines[:SHOWN])


def _entry(report: Path) -> list:
    return list(pickle.loads(report.read_bytes()))


def stored_snapshot(report: Path) -> str:
    """The snapshot on disk this test was compared with."""
    return str(_entry(report)[1])


def svg_matches(svg: str, snapshot: str) -> bool:
    """Equal as the plugin compares them (its per-render class prefixes taken out)."""
    return normalize_svg(svg) == normalize_svg(snapshot)


def counted_as_passed(report: Path) -> None:
    """The plugin's summary counts the test as it ended, once a second look matched."""
    entry = _entry(report)
    entry[0] = True
    report.write_bytes(pickle.dumps(tuple(entry)))

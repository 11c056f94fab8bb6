"""Printing records: aligned tables for people, JSON and CSV for scripts.

Every value is data, so every value is passed through `shown` before a terminal sees it: a
control character or escape sequence in a subject prints as `\x1b[2J`, never clears the screen.
"""

from __future__ import annotations

from omeconsole.core.text.csv_cells import to_csv
from omeconsole.core.text.untrusted import json_text, shown


def as_json(data) -> str:
    return json_text(data)


def as_csv(records: list[dict], columns: tuple[str, ...], for_terminal: bool = False) -> str:
    """Export-Csv's shape. On a terminal each cell is also `shown`; in a file or pipe it is exact."""
    return to_csv(records, columns, cell=shown if for_terminal else None)


def _cell(value, limit: int | None) -> str:
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "True" if value else "False"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(shown(v) for v in value)
    else:
        text = " ".join(shown(value).split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def as_table(records: list[dict], columns: tuple[str, ...], limits: dict[str, int] | None = None,
             short_dates: tuple[str, ...] = ()) -> str:
    """Columns padded to their widest cell; named columns truncated with an ellipsis."""
    limits = limits or {}
    rows = [[_cell(_short(r.get(c), c in short_dates), limits.get(c)) for c in columns] for r in records]
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(columns)]
    lines = [_line(columns, widths), _line(["-" * w for w in widths], widths)]
    lines += [_line(row, widths) for row in rows]
    return "\n".join(lines)


def _short(value, short: bool):
    """2026-11-20T15:04:05Z -> 2026-11-20 15:04 in tables."""
    if short and isinstance(value, str) and len(value) == 20:
        return value[:10] + " " + value[11:16]
    return value


def _line(cells, widths) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def as_list(record: dict) -> str:
    """Format-List: one property a line, lists indented beneath."""
    width = max(len(k) for k in record)
    lines = []
    for key, value in record.items():
        if isinstance(value, (list, tuple)):
            lines.append(f"{key.ljust(width)} : {'' if value else '{}'}".rstrip())
            lines += [f"{' ' * width}   - {shown(item)}" for item in value]
        else:
            lines.append(f"{key.ljust(width)} : {_cell(value, None)}".rstrip())
    return "\n".join(lines)

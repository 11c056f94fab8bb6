"""What a results table shows of its loaded rows: those its filter keeps, in its sort's order.

Kept apart from the widget so that 50,000 rows are filtered and sorted by plain Python, measured in
bench/table_ops.py, and tested without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sort:
    column: int
    reverse: bool = False


class RowView:
    """`text_of(record)` is what a filter searches (every shown cell, and the Message ID even when its
    column is hidden); `keys[i](record)` orders rows by column i."""

    def __init__(self, text_of: Callable[[Any], str], keys: Sequence[Callable[[Any], Any]]) -> None:
        self.text_of, self.keys = text_of, keys
        self.records: list = []
        self.shown: list = []
        self.needle = ""
        self.sort: Sort | None = None
        self._texts: list[str] | None = None  # the records' search text, lower-cased, made on the first filter

    def load(self, records: list) -> None:
        self.records, self._texts = records, None
        self._apply()

    def search_texts(self, records: list) -> list[str]:
        """What the filter searches in each of these records, lower-cased (pure: made in a thread)."""
        return [self.text_of(r).lower() for r in records]

    def take_texts(self, records: list, texts: list[str]) -> None:
        """Texts made ahead for these records: kept if they are still the loaded ones."""
        if records is self.records and self._texts is None:
            self._texts = texts

    def filter(self, needle: str) -> None:
        self.needle = needle.strip().lower()
        self._apply()

    def sort_by(self, column: int) -> Sort:
        """Sort by this column; the same column again reverses it."""
        same = self.sort is not None and self.sort.column == column
        self.sort = Sort(column, not self.sort.reverse if same and self.sort else False)
        self._apply()
        return self.sort

    def _apply(self) -> None:
        shown = self.records
        if self.needle:
            if self._texts is None:
                self._texts = self.search_texts(self.records)
            shown = [r for r, text in zip(self.records, self._texts, strict=True) if self.needle in text]
        if self.sort is not None:
            shown = sorted(shown, key=self.keys[self.sort.column], reverse=self.sort.reverse)
        self.shown = list(shown)

"""One person's remembered work, as Exchange admin center keeps it: the last searches (autosaved) and
named searches (saved), and the console's theme.

Kept in the store, one file per identity (preferences/<name>.json), so a person finds them again from
any door (over SSH every session runs as the server's account). Each change is a read-modify-write
under the file's own lock and an atomic replace, so two sessions of one person lose nothing. A file that
is not what this module writes is reported, never rewritten: recall is off until someone looks at it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from omeconsole.core.context import Context
from omeconsole.core.errors import StoreError, UsageError
from omeconsole.core.store.files import dump_json, write_atomic
from omeconsole.core.store.lock import StoreLock

RECENT = 10  # autosaved searches kept, newest first
MAX_SAVED = 50
MAX_NAME = 64
MAX_FIELD = 1000  # characters in one field of a search: a Message ID, a subject
SEARCH_FIELDS = ("sender", "recipient", "range", "start", "end", "status", "message_id", "subject", "subject_filter")
VERSION = 1


class PreferencesDamaged(StoreError):
    """The preferences file is not one this module wrote; it is left as it is."""


@dataclass(frozen=True)
class Search:
    """A Message Trace search as its form fields (never its results)."""

    fields: dict[str, str]
    name: str = ""

    def summary(self) -> str:
        """One line that tells searches apart: the fields that are set, as the form names them."""
        fields = self.fields
        said = [f"{key.replace('_', ' ')}: {fields[key]}" for key in ("sender", "recipient", "status", "message_id")
                if fields.get(key)]
        if fields.get("subject"):
            said.append(f"subject {fields.get('subject_filter') or 'contains'}: {fields['subject']}")
        if fields.get("range") == "custom":
            said.append(f"from {fields.get('start') or 'the start'} to {fields.get('end') or 'now'}")
        elif fields.get("range"):
            said.append(f"last {fields['range']}")
        return ", ".join(said) or "every message"


@dataclass
class PersonalSettings:
    recent: list[Search] = field(default_factory=list)
    saved: list[Search] = field(default_factory=list)
    theme: str | None = None

    def to_doc(self) -> dict:
        return {"version": VERSION, "theme": self.theme, "recent": [s.fields for s in self.recent],
                "saved": [{"name": s.name, "fields": s.fields} for s in self.saved]}


def search_fields(fields: Mapping[str, object]) -> dict[str, str]:
    """The form fields a search keeps, checked: known names, text, bounded."""
    unknown = sorted(set(fields) - set(SEARCH_FIELDS))
    if unknown:
        raise UsageError(f"a search has no field {unknown[0]!r}")
    checked = {}
    for key in SEARCH_FIELDS:
        value = fields.get(key, "")
        if not isinstance(value, str):
            raise UsageError(f"a search's {key} must be text")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"a search's {key} is not text that can be kept") from None
        if len(value) > MAX_FIELD:
            raise UsageError(f"a search's {key} is {len(value):,} characters; at most {MAX_FIELD:,} are kept")
        checked[key] = value
    return checked


def search_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise UsageError("a saved search needs a name")
    if len(cleaned) > MAX_NAME:
        raise UsageError(f"a saved search's name is at most {MAX_NAME} characters")
    return cleaned


def _file_stem(address: str) -> str:
    """A file name from an identity: readable, and distinct even where two addresses clean to one."""
    readable = re.sub(r"[^a-z0-9._@-]", "_", address.lower())[:80]
    return f"{readable}-{hashlib.sha256(address.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


class Preferences:
    """The acting identity's settings in this store."""

    def __init__(self, context: Context) -> None:
        folder = Path(context.store.root) / "preferences"
        stem = _file_stem(context.actor.address)
        self.path = folder / f"{stem}.json"
        self._lock_path = folder / f"{stem}.lock"

    def read(self) -> PersonalSettings:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return PersonalSettings()
        except OSError as error:
            raise StoreError(f"cannot read {self.path}: {error.strerror}") from None
        return _parse(data, self.path)

    def remember(self, fields: Mapping[str, object]) -> None:
        """A search just run: first among the recent ones, once."""
        search = Search(search_fields(fields))

        def change(settings: PersonalSettings) -> None:
            others = [s for s in settings.recent if s.fields != search.fields]
            settings.recent = [search, *others][:RECENT]

        self._change(change)

    def save(self, name: str, fields: Mapping[str, object]) -> Search:
        """A named search; the same name again replaces it."""
        search = Search(search_fields(fields), search_name(name))

        def change(settings: PersonalSettings) -> None:
            others = [s for s in settings.saved if s.name.casefold() != search.name.casefold()]
            if len(others) >= MAX_SAVED:
                raise UsageError(f"at most {MAX_SAVED} searches are saved; delete one first")
            settings.saved = [search, *others]

        self._change(change)
        return search

    def forget(self, name: str) -> None:
        def change(settings: PersonalSettings) -> None:
            settings.saved = [s for s in settings.saved if s.name.casefold() != name.casefold()]

        self._change(change)

    def set_theme(self, theme: str) -> None:
        if not theme or len(theme) > MAX_NAME:
            raise UsageError("a theme name is 1 to 64 characters")

        def change(settings: PersonalSettings) -> None:
            settings.theme = theme

        self._change(change)

    def _change(self, change) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create {self.path.parent}: {error.strerror}") from None
        with StoreLock(self._lock_path).hold(exclusive=True):
            settings = self.read()
            change(settings)
            write_atomic(self.path, dump_json(settings.to_doc()))


def _parse(data: bytes, path: Path) -> PersonalSettings:
    damaged = PreferencesDamaged(f"{path} is damaged; recent and saved searches are off until it is moved away "
                                 "(it was left as it is)")
    try:
        doc = json.loads(data.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            raise damaged
        theme = doc.get("theme")
        recent = [Search(search_fields(fields)) for fields in doc.get("recent", [])][:RECENT]
        saved = [Search(search_fields(s["fields"]), search_name(s["name"])) for s in doc.get("saved", [])]
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError, UsageError):
        raise damaged from None
    if theme is not None and not isinstance(theme, str):
        raise damaged
    return PersonalSettings(recent, saved[:MAX_SAVED], theme)

"""The person's keymap: keymap.toml in the per-user config directory, keyed by the binding ids the
help shows, applied with Textual's keymap support.

    # ~/.config/omeconsole/keymap.toml
    revoke = "x"
    find-related = "F,ctrl+f"

A file that cannot be read, an id the console does not have, or a value that is not a key string is
reported in one line each and ignored; the console starts with every other key as it is.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from omeconsole.core.text.untrusted import shown

KEYMAP_FILE = "keymap.toml"
MAX_BYTES = 64 * 1024
_KEYS = re.compile(r"^[A-Za-z0-9_+\-]+(,[A-Za-z0-9_+\-]+)*$")  # textual key names, comma-separated


@dataclass
class KeymapLoad:
    path: Path
    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    found: bool = False

    def summary(self) -> str:
        """One line for the help: where the file is and what it did."""
        if not self.found:
            return f"No keymap file at {self.path}: write one (binding id = \"key\") to remap keys."
        said = f"Keymap {self.path}: {len(self.keymap)} key{'s' if len(self.keymap) != 1 else ''} remapped"
        return said + (f"; {len(self.problems)} ignored (see below)" if self.problems else "")


def keymap_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("omeconsole") / KEYMAP_FILE


def load_keymap(path: Path, known_ids: Iterable[str]) -> KeymapLoad:
    load = KeymapLoad(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return load
    except OSError as error:
        load.problems.append(f"{path}: cannot be read ({error.strerror}); no key is remapped")
        return load
    load.found = True
    if len(data) > MAX_BYTES:
        load.problems.append(f"{path}: {len(data):,} bytes, more than a keymap needs; no key is remapped")
        return load
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        load.problems.append(f"{path}: not TOML ({shown(str(error))[:120]}); no key is remapped")
        return load
    known = set(known_ids)
    for binding_id, keys in table.items():
        if binding_id not in known:
            load.problems.append(f"{path}: no key has the id {shown(binding_id)[:64]!r} (F1 lists them); ignored")
        elif not isinstance(keys, str) or not _KEYS.match(keys.replace(" ", "")):
            load.problems.append(f"{path}: {binding_id} = {shown(str(keys))[:64]!r} is not a key such as \"x\" "
                                 "or \"ctrl+f\"; ignored")
        else:
            load.keymap[binding_id] = keys.replace(" ", "")
    return load

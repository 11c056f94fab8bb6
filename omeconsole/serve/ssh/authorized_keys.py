"""The SSH door's authorized-keys file: one public key per line, each naming the identity it signs in as.

    # Lynne, helpdesk
    as="lynne.robbins@contoso.com" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... lynne@laptop

The identity is the `as` option, never the key's comment (ssh-keygen fills that with user@host).
Any other option is refused: OpenSSH options such as from= or command= would be expected to
restrict the key, and silently ignoring them would grant more than the file says.

Whoever can write the file, or replace it, decides who signs in; so, as OpenSSH's StrictModes does,
it is refused when it is a symbolic link, when it is not owned by the account running the door or
others can write it (checked on the file opened, not on its name), and when others can write the
directory that holds it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from omeconsole.core.errors import OmeError, StoreError, UsageError
from omeconsole.core.text.addresses import normalize_address

_OPTION = re.compile(r'as=(?:"([^"]*)"|([^\s",]+))(?=\s|$)')
_MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AuthorizedKey:
    identity: str
    fingerprint: str
    line: int


class AuthorizedKeys:
    """The file's keys by fingerprint. Read afresh for each sign-in, so edits apply at once."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict[str, AuthorizedKey]:
        text = self._read()
        keys: dict[str, AuthorizedKey] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key = self._parse(line, number)
            earlier = keys.get(key.fingerprint)
            if earlier and earlier.identity != key.identity:
                raise self._error(number, f"this key is already on line {earlier.line} as {earlier.identity}")
            keys.setdefault(key.fingerprint, key)
        return keys

    def identity_for(self, key: asyncssh.SSHKey) -> AuthorizedKey | None:
        return self.load().get(key.get_fingerprint())

    def _read(self) -> str:
        try:
            with os.fdopen(self._open(), "rb") as handle:
                info = os.fstat(handle.fileno())
                _check_guarded(self.path, info)
                if not stat.S_ISREG(info.st_mode):
                    raise StoreError(f"the authorized-keys file {self.path} is not a regular file")
                data = handle.read(_MAX_FILE_BYTES + 1)
            if len(data) > _MAX_FILE_BYTES:
                raise StoreError(f"the authorized-keys file {self.path} is larger than 1 MB")
            return data.decode("utf-8")
        except FileNotFoundError:
            raise StoreError(f"there is no authorized-keys file at {self.path}: create it with one line per key, "
                             'like: as="admin@contoso.com" ssh-ed25519 AAAA...') from None
        except UnicodeDecodeError:
            raise StoreError(f"the authorized-keys file {self.path} is not UTF-8 text") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StoreError(f"the authorized-keys file {self.path} is a symbolic link; name the file itself "
                                 "(whoever can change a link decides who signs in)") from None
            raise StoreError(f"cannot read the authorized-keys file {self.path}: {exc.strerror}") from None

    def _open(self) -> int:
        """The file, never through a symbolic link, from a directory that only its owner can write."""
        directory = os.open(self.path.parent, getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY)
        try:
            _check_directory(self.path.parent, os.fstat(directory))
            return os.open(self.path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY,
                           dir_fd=directory)
        finally:
            os.close(directory)

    def _parse(self, line: str, number: int) -> AuthorizedKey:
        match = _OPTION.match(line)
        if not match:
            first = line.split()[0]
            if first.startswith(("ssh-", "ecdsa-", "sk-")):
                raise self._error(number, 'the key names no identity: put as="someone@contoso.com" before it')
            raise self._error(number, f"option {first[:40]!r} is not as=\"address\" (the only option accepted)")
        rest = line[match.end():]
        try:
            identity = normalize_address(match.group(1) or match.group(2), "identity (as=)")
        except UsageError as error:
            raise self._error(number, str(error)) from None
        fields = rest.split()
        try:
            key = asyncssh.import_public_key(" ".join(fields[:2]))
        except (asyncssh.KeyImportError, ValueError, IndexError):
            raise self._error(number, "after the identity comes a public key like ssh-ed25519 AAAA...") from None
        return AuthorizedKey(identity, key.get_fingerprint(), number)

    def _error(self, number: int, problem: str) -> OmeError:
        return UsageError(f"{self.path}, line {number}: {problem}")


def _check_guarded(path: Path, info: os.stat_result) -> None:
    """Whoever can write this file decides who signs in, so it is refused unless only the account
    running the door can (as OpenSSH's StrictModes refuses it)."""
    if info.st_uid != os.geteuid():
        raise StoreError(f"the authorized-keys file {path} is owned by uid {info.st_uid}, not by the account "
                         f"running the door (uid {os.geteuid()}); run: chown {os.geteuid()} {path}")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StoreError(f"the authorized-keys file {path} can be written by others (mode "
                         f"{stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}")


def _check_directory(directory: Path, info: os.stat_result) -> None:
    """Whoever can write the directory can put another file in the keys file's place."""
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StoreError(f"the directory {directory} holding the authorized-keys file can be written by others "
                         f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod go-w {directory}")

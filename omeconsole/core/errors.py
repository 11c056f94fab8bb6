"""Errors a person may see. Each carries one line of plain words and an exit code."""

from collections.abc import Sequence


class OmeError(Exception):
    """Base class: str(error) is the whole one-line message."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(" ".join(message.split()))


class UsageError(OmeError):
    """The input is malformed: a bad Message ID, date, address or option."""

    exit_code = 2


class NotFound(OmeError):
    """A message, user, template or recipient that the store does not hold."""


class Refused(OmeError):
    """An operation the rules or the acting identity's role do not allow."""

    def __init__(self, message: str, reasons: Sequence[str] | None = None):
        self.reasons = list(reasons or [])
        super().__init__(message)


class StoreError(OmeError):
    """The store cannot be used: damaged, unreadable, missing, or not initialised."""


class StoreDamaged(StoreError):
    """A store file that is not what omeconsole wrote. Never repaired silently."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"store file {self.path} is damaged: {problem}; it was left untouched")

    def __reduce__(self):  # as it was made: a search's worker process hands it to the parent
        return StoreDamaged, (self.path, self.problem)


class Cancelled(Exception):
    """A search or report stopped between batches because the one who asked no longer wants it (the
    console's cancel key, or a newer search). Not an OmeError: nothing went wrong, and no face prints it."""

"""revocations.json and revoking.json: who revoked what, and the content keys a revocation destroys.

The journal (revoking.json) names the keys before the revocation is recorded, so a crash between
the two is finished by the next writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from omeconsole.core.errors import StoreDamaged, StoreError
from omeconsole.core.mail.model import Message, Revocation
from omeconsole.core.store.documents import DOC_ERRORS, describe
from omeconsole.core.store.files import (
    all_or_nothing,
    dump_json,
    fsync_directory,
    open_db,
    read_json,
    write_atomic,
)
from omeconsole.core.store.report_counts import ReportCounts, row_days


class RevocationFiles:
    root: Path

    if TYPE_CHECKING:
        counted: bool
        counts: ReportCounts

        def destroy_data_keys(self, message_ids: list[str]) -> int: ...

        def _current_summaries(self, message_ids) -> dict[str, dict]: ...

        def recount(self, days: Iterable[str]) -> None: ...

    @property
    def revocations_path(self) -> Path:
        return self.root / "revocations.json"

    def revocations(self) -> dict[str, Revocation]:
        with open_db(self.revocations_path) as db:
            docs = db.table("revocations").all()
        try:
            return {doc["message_id"]: Revocation.from_doc(doc) for doc in docs}
        except DOC_ERRORS as exc:
            raise StoreDamaged(self.revocations_path, f"a revocation is malformed ({describe(exc)})") from None

    def get_revocation(self, message_id: str) -> Revocation | None:
        return self.revocations().get(message_id)

    @property
    def revoking_path(self) -> Path:
        return self.root / "revoking.json"

    def revoke(self, revocations: dict[str, Revocation]) -> None:
        """Record revocations and destroy their content keys as one change. The journal names the
        keys before the revocation is recorded (the commit), so a crash between the two files is
        finished by the next writer, and no reader meanwhile sees a revoked message's key as held."""
        write_atomic(self.revoking_path, dump_json(sorted(revocations)))
        with all_or_nothing():
            self.add_revocations(revocations)
            if self.counted:
                self._count_revocations(revocations)
        try:
            self._finish_revoking(counted=True)
        except StoreError:
            pass  # committed: the key is never used again, and the next change destroys it

    def _count_revocations(self, revocations: dict[str, Revocation]) -> None:
        """The report's counts: these messages move to Revoked."""
        before, after = [], []
        for message_id, summary in self._current_summaries(revocations).items():
            message, revoked = Message.from_doc(summary), Message.from_doc(summary)
            revoked.revocation = revocations[message_id]
            before.append((message, summary))
            after.append((revoked, summary))
        self.counts.change(before, after)

    def keys_being_destroyed(self) -> set[str]:
        """The Message IDs whose content keys an interrupted revocation left to destroy."""
        ids = read_json(self.revoking_path) or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise StoreDamaged(self.revoking_path, "it is not a list of Message IDs")
        return set(ids)

    def keys_awaiting_destruction(self) -> set[str]:
        """Revoked messages whose content keys an interrupted revocation left on disk: never used
        again, shown as destroyed, and destroyed by the next change."""
        going = self.keys_being_destroyed()
        return going & set(self.revocations()) if going else set()

    def _finish_revoking(self, counted: bool = False) -> None:
        """Destroy the content keys the journal names. counted: this process has just landed their
        revocations and counts together; a journal found otherwise may be a crash's, which may have come
        between the two, so their days are counted again (a whole day's partition each)."""
        pending = self.keys_being_destroyed()
        if pending:
            if not counted:
                self.recount({day for summary in self._current_summaries(pending).values()
                              for day in row_days(Message.from_doc(summary))})
            revoked = self.revocations()
            self.destroy_data_keys([mid for mid in pending if mid in revoked])
            try:
                self.revoking_path.unlink()
                fsync_directory(self.root)
            except OSError as exc:
                raise StoreError(f"cannot remove {self.revoking_path}: {exc.strerror}") from None

    def add_revocations(self, revocations: dict[str, Revocation]) -> None:
        with open_db(self.revocations_path) as db:
            db.table("revocations").insert_multiple(
                {"message_id": mid, **rev.to_doc()} for mid, rev in revocations.items()
            )

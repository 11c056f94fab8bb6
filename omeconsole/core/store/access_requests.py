"""access.json: elevated access requests, as the key manager's approvals leave them."""

from __future__ import annotations

from pathlib import Path

from tinydb import Query

from omeconsole.core.dkm.access_request import AccessRequest
from omeconsole.core.errors import StoreDamaged
from omeconsole.core.store.documents import DOC_ERRORS, describe
from omeconsole.core.store.files import open_db


class AccessRequestFile:
    root: Path

    @property
    def access_path(self) -> Path:
        return self.root / "access.json"

    def access_requests(self) -> list[AccessRequest]:
        with open_db(self.access_path) as db:
            docs = db.table("requests").all()
        try:
            return [AccessRequest.from_doc(doc) for doc in docs]
        except DOC_ERRORS as exc:
            raise StoreDamaged(self.access_path, f"an access request is malformed ({describe(exc)})") from None

    def save_access_request(self, request: AccessRequest) -> None:
        with open_db(self.access_path) as db:
            db.table("requests").upsert(request.to_doc(), Query().id == request.id)

"""portal/XX.json: the OME portal's links, sharded by the first two hex digits of the link ID, so
resolving a link reads one small file whatever the token (a bad one costs the same)."""

from __future__ import annotations

from pathlib import Path

from tinydb import Query

from omeconsole.core.errors import StoreDamaged
from omeconsole.core.mail.portal_link import PortalLink
from omeconsole.core.store.documents import DOC_ERRORS, describe, group_by
from omeconsole.core.store.files import open_db

_HEX = set("0123456789abcdef")


class PortalLinkFiles:
    root: Path

    def _portal_path(self, link_id: str) -> Path:
        shard = link_id[:2] if len(link_id) == 64 and set(link_id) <= _HEX else "00"
        return self.root / "portal" / f"{shard}.json"

    def get_portal_link(self, link_id: str) -> PortalLink | None:
        path = self._portal_path(link_id)
        with open_db(path) as db:
            doc = db.table("links").get(Query().link_id == link_id)
        if doc is None:
            return None
        try:
            return PortalLink.from_doc(doc)
        except DOC_ERRORS as exc:
            raise StoreDamaged(path, f"a portal link is malformed ({describe(exc)})") from None

    def put_portal_links(self, links: list[PortalLink]) -> None:
        """Insert new links or replace existing ones (under the store's exclusive lock)."""
        (self.root / "portal").mkdir(mode=0o700, exist_ok=True)
        for path, group in group_by(links, lambda link: self._portal_path(link.link_id)).items():
            with open_db(path) as db:
                table = db.table("links")
                for link in group:
                    table.upsert(link.to_doc(), Query().link_id == link.link_id)

    def put_portal_link(self, link: PortalLink) -> None:
        self.put_portal_links([link])

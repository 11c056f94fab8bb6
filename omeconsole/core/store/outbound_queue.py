"""queue/<id>.json: mail accepted and not yet delivered, one file per delivery. The files are the
queue: a restarted `serve mail` finds them and goes on. Each holds its mail sealed (delivery.py)."""

from __future__ import annotations

import os
from pathlib import Path

from omeconsole.core.errors import StoreDamaged, StoreError
from omeconsole.core.store.files import dump_json, fsync_directory, read_json, write_atomic


class OutboundQueueFiles:
    root: Path

    @property
    def queue_dir(self) -> Path:
        return self.root / "queue"

    def _queue_path(self, delivery_id: str) -> Path:
        if not delivery_id.isalnum():
            raise StoreError(f"delivery id {delivery_id!r} is not alphanumeric")
        return self.queue_dir / f"{delivery_id}.json"

    def put_queued(self, doc: dict) -> None:
        self.queue_dir.mkdir(mode=0o700, exist_ok=True)
        write_atomic(self._queue_path(doc["id"]), dump_json(doc))

    def queued(self) -> tuple[list[tuple[Path, dict]], list[StoreDamaged]]:
        """Every queued delivery (path, document), oldest first (ids start with the time they were
        queued); and the files that cannot be read, each as the StoreDamaged it would raise."""
        try:
            names = sorted(name for name in os.listdir(self.queue_dir) if name.endswith(".json")
                           and not name.startswith("."))
        except FileNotFoundError:
            return [], []
        docs, damaged = [], []
        for name in names:
            path = self.queue_dir / name
            try:
                doc = read_json(path)
            except StoreDamaged as problem:
                damaged.append(problem)
                continue
            if doc is None:
                continue  # delivered by another thread since the listing
            if not isinstance(doc, dict) or "id" not in doc:
                damaged.append(StoreDamaged(path, "it is not a queued delivery"))
                continue
            docs.append((path, doc))
        return docs, damaged

    def get_queued(self, delivery_id: str) -> dict | None:
        doc = read_json(self._queue_path(delivery_id))
        if doc is not None and not isinstance(doc, dict):
            raise StoreDamaged(self._queue_path(delivery_id), "it is not a queued delivery")
        return doc

    def remove_queued(self, delivery_id: str) -> None:
        try:
            os.unlink(self._queue_path(delivery_id))
        except FileNotFoundError:
            return
        fsync_directory(self.queue_dir)

"""The store: a directory of small TinyDB files, laid out so one lookup reads one shard.

    store.json          manifest: format, version, shard count
    tenant.json         settings, users, branding templates, native domains
    messages/XX.json    bulk message data, sharded by a hash of the Message ID
    index/              message summaries by day, sender and recipient (trace_index.py)
    datakeys/XX.json    wrapped content keys, same sharding (they change on revoke and rewrap)
    revocations.json    who revoked what and when
    revoking.json       only during a revocation: the content keys it is destroying
    keyring.json        key versions, sealed by the master key (dkm/keyring.py)
    master.key          the master key, 0600, when no passphrase protects the keyring
    access.json         elevation requests (dkm/access.py)
    accounts.json       connected accounts, credentials sealed by the keyring
    portal/XX.json      the OME portal's links, by a hash of the token (never the token)
    queue/ID.json       mail accepted by serve mail and not yet delivered, sealed
    audit.jsonl         the hash-chained audit log (audit.py)
    audit-index/        the audit log's entries by target, derived from it (audit/index.py)

Data that changes never shares a file with bulk message data.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from omeconsole.core.audit.log import AuditLog
from omeconsole.core.dkm.unlocking import stored_chain_key
from omeconsole.core.errors import OmeError, StoreDamaged, StoreError
from omeconsole.core.store.access_requests import AccessRequestFile
from omeconsole.core.store.accounts import AccountFile
from omeconsole.core.store.files import dump_json, read_json, write_atomic
from omeconsole.core.store.lock import StoreLock
from omeconsole.core.store.outbound_queue import OutboundQueueFiles
from omeconsole.core.store.portal_links import PortalLinkFiles
from omeconsole.core.store.report_counts import ReportCounts
from omeconsole.core.store.revocations import RevocationFiles
from omeconsole.core.store.shards import MessageShards
from omeconsole.core.store.tenant_file import TenantFile
from omeconsole.core.store.trace_index import TraceIndex

FORMAT = "omeconsole-store"
VERSION = 2  # 2: bulk files packed, the report's counts kept; 1 is still read and written, unpacked
READS = (1, 2)
DEFAULT_SHARDS = 256
MAX_SHARDS = 4096
_DOC_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


class Store(MessageShards, RevocationFiles, TenantFile, AccessRequestFile, AccountFile, PortalLinkFiles,
            OutboundQueueFiles):
    """The store's directory, its lock, and each file's reads and writes (one module per file kind)."""

    def __init__(self, root: Path, shards: int, indexed: bool, counted: bool = False, version: int = VERSION):
        self.root = Path(root)
        self.shards = shards
        self.version = version
        self.packed = version >= 2  # a store of format 1 stays readable by the omeconsole that made it
        self.indexed = indexed  # stores made before the trace index have none until 'reindex'
        self.counted = indexed and counted  # likewise the report's counts (they are kept beside the index)
        self.lock = StoreLock(self.root / "store.lock")
        self.audit = AuditLog(self.root, key_source=lambda: stored_chain_key(self.root))
        self.index = TraceIndex(self.root, pack=self.packed)
        self.counts = ReportCounts(self.index.dir)

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, shards: int = DEFAULT_SHARDS) -> Store:
        root = Path(root)
        if (root / "store.json").exists():
            raise StoreError(f"{root} already holds an omeconsole store; nothing was changed")
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            for sub in ("messages", "datakeys"):
                (root / sub).mkdir(exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create the store directory {root}: {exc.strerror}") from None
        store = cls(root, shards, indexed=True, counted=True)
        with store.lock.hold(exclusive=True):
            store.index.create()
            store.counts.create()
            store._write_manifest()
        return store

    def _write_manifest(self) -> None:
        manifest = {"format": FORMAT, "version": self.version, "shards": self.shards, "trace_index": self.indexed,
                    "report_counts": self.counted}
        write_atomic(self.root / "store.json", dump_json(manifest))

    @classmethod
    def open(cls, root: Path) -> Store:
        root = Path(root)
        manifest_path = root / "store.json"
        manifest = read_json(manifest_path)
        if manifest is None:
            raise StoreError(f"no omeconsole store at {root}: run 'omeconsole init ...' or 'omeconsole demo'")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise StoreDamaged(manifest_path, "it is not an omeconsole store manifest")
        version = manifest.get("version")
        if version not in READS:
            raise StoreError(f"{manifest_path} is store format version {version}; this omeconsole reads "
                             f"versions {' and '.join(map(str, READS))}")
        shards = manifest.get("shards")
        if not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            raise StoreDamaged(manifest_path, f"shard count {shards!r} is not a number from 1 to {MAX_SHARDS}")
        return cls(root, shards, indexed=manifest.get("trace_index") is True,
                   counted=manifest.get("report_counts") is True, version=version)

    @contextmanager
    def reading(self):
        with self.lock.hold(exclusive=False):
            yield self

    @contextmanager
    def writing(self, mend_index: bool = True):
        """The exclusive lock; a trace index change a crash interrupted is finished first
        (not by reindex, which rebuilds the whole index anyway)."""
        with self.lock.hold(exclusive=True):
            if self.indexed and mend_index:
                self.recount(self.index.repair(self._current_summaries))
            self._finish_revoking()
            since = len(self.audit.appended)
            try:
                yield self
            except Exception as error:
                # A refusal is a decision, made and audited before any change; anything else (the
                # disk, or an error nobody foresaw) stopped a change after its entry: say it failed.
                if isinstance(error, StoreError) or not isinstance(error, OmeError):
                    self.audit.record_failure(since, error)
                raise


def default_store_dir() -> Path:
    """OMECONSOLE_STORE, else the per-user data directory (platformdirs)."""
    env = os.environ.get("OMECONSOLE_STORE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("omeconsole", appauthor=False) / "store"

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
    audit.jsonl         the hash-chained audit log (audit.py)

Data that changes never shares a file with bulk message data.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tinydb import Query

from omeconsole.core.audit.log import AuditLog
from omeconsole.core.errors import OmeError, StoreDamaged, StoreError
from omeconsole.core.dkm.access_request import AccessRequest
from omeconsole.core.dkm.unlocking import stored_chain_key
from omeconsole.core.mail.model import Message, Revocation
from omeconsole.core.message_trace.query import TraceQuery
from omeconsole.core.store.files import (
    StoreLock, all_or_nothing, dump_json, fsync_directory, open_db, read_json, write_atomic,
)
from omeconsole.core.tenant.model import BrandingTemplate, License, Tenant, User
from omeconsole.core.text.times import format_iso
from omeconsole.core.store.trace_index import TraceIndex, partitions_of, summary_of

FORMAT = "omeconsole-store"
VERSION = 1
DEFAULT_SHARDS = 256
MAX_SHARDS = 4096
_DOC_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


class Store:
    def __init__(self, root: Path, shards: int, indexed: bool):
        self.root = Path(root)
        self.shards = shards
        self.indexed = indexed  # stores made before the trace index have none until 'reindex'
        self.lock = StoreLock(self.root / "store.lock")
        self.audit = AuditLog(self.root, key_source=lambda: stored_chain_key(self.root))
        self.index = TraceIndex(self.root)

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, shards: int = DEFAULT_SHARDS) -> "Store":
        root = Path(root)
        if (root / "store.json").exists():
            raise StoreError(f"{root} already holds an omeconsole store; nothing was changed")
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            for sub in ("messages", "datakeys"):
                (root / sub).mkdir(exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create the store directory {root}: {exc.strerror}") from None
        store = cls(root, shards, indexed=True)
        with store.lock.hold(exclusive=True):
            store.index.create()
            store._write_manifest()
        return store

    def _write_manifest(self) -> None:
        write_atomic(self.root / "store.json", dump_json({"format": FORMAT, "version": VERSION, "shards": self.shards,
                                                          "trace_index": self.indexed}))

    @classmethod
    def open(cls, root: Path) -> "Store":
        root = Path(root)
        manifest_path = root / "store.json"
        manifest = read_json(manifest_path)
        if manifest is None:
            raise StoreError(f"no omeconsole store at {root}: run 'omeconsole init ...' or 'omeconsole demo'")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise StoreDamaged(manifest_path, "it is not an omeconsole store manifest")
        if manifest.get("version") != VERSION:
            raise StoreError(f"{manifest_path} is store format version {manifest.get('version')}; "
                             f"this omeconsole reads version {VERSION}")
        shards = manifest.get("shards")
        if not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            raise StoreDamaged(manifest_path, f"shard count {shards!r} is not a number from 1 to {MAX_SHARDS}")
        return cls(root, shards, indexed=manifest.get("trace_index") is True)

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
                self.index.repair(self._current_summaries)
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

    # -- tenant ------------------------------------------------------------------------

    @property
    def tenant_path(self) -> Path:
        return self.root / "tenant.json"

    def has_tenant(self) -> bool:
        return self.tenant_path.exists()

    def load_tenant(self) -> Tenant:
        with open_db(self.tenant_path) as db:
            settings = db.table("settings").all()
            if not settings:
                raise StoreError(f"the store at {self.root} has no tenant yet: run 'omeconsole init ...' "
                                 "or 'omeconsole demo'")
            try:
                tenant = Tenant(
                    organization=settings[0]["organization"],
                    accepted_domains=list(settings[0]["accepted_domains"]),
                    license=License(settings[0]["license"]),
                    premium_encryption=bool(settings[0]["premium_encryption"]),
                    users=[User.from_doc(d) for d in db.table("users").all()],
                    templates=[BrandingTemplate.from_doc(d) for d in db.table("templates").all()],
                    native_domains=[d["domain"] for d in db.table("native_domains").all()],
                    approvals_require_door=_door_setting(settings[0].get("approvals_require_door")),
                )
            except _DOC_ERRORS as exc:
                raise StoreDamaged(self.tenant_path, f"a tenant record is malformed ({_describe(exc)})") from None
        return tenant

    def save_new_tenant(self, tenant: Tenant) -> None:
        with open_db(self.tenant_path) as db:
            db.storage.write({
                "settings": {"1": tenant.settings_doc()},
                "users": {str(i): u.to_doc() for i, u in enumerate(tenant.users, 1)},
                "templates": {str(i): t.to_doc() for i, t in enumerate(tenant.templates, 1)},
                "native_domains": {str(i): {"domain": d} for i, d in enumerate(tenant.native_domains, 1)},
            })

    def save_tenant_settings(self, tenant: Tenant) -> None:
        with open_db(self.tenant_path) as db:
            db.table("settings").update(tenant.settings_doc())

    def add_user(self, user: User) -> None:
        with open_db(self.tenant_path) as db:
            db.table("users").insert(user.to_doc())

    def add_template(self, template: BrandingTemplate) -> None:
        with open_db(self.tenant_path) as db:
            db.table("templates").insert(template.to_doc())

    def add_native_domain(self, domain: str) -> None:
        with open_db(self.tenant_path) as db:
            db.table("native_domains").insert({"domain": domain})

    def remove_native_domain(self, domain: str) -> None:
        with open_db(self.tenant_path) as db:
            db.table("native_domains").remove(Query().domain == domain)

    # -- messages ----------------------------------------------------------------------

    def shard_of(self, message_id: str) -> str:
        return self.shard_name(message_id, self.shards)

    @staticmethod
    def shard_name(message_id: str, shards: int) -> str:
        number = int.from_bytes(hashlib.sha256(message_id.encode("utf-8")).digest()[:4], "big") % shards
        return f"{number:03x}" if shards > 256 else f"{number:02x}"

    def _message_path(self, shard: str) -> Path:
        return self.root / "messages" / f"{shard}.json"

    def _datakey_path(self, shard: str) -> Path:
        return self.root / "datakeys" / f"{shard}.json"

    def get_message(self, message_id: str) -> Message | None:
        """Read one shard, not the store. The revocation, if any, is attached."""
        path = self._message_path(self.shard_of(message_id))
        with open_db(path) as db:
            doc = db.table("messages").get(Query().message_id == message_id)
        if doc is None:
            return None
        message = _message_from_doc(path, doc)
        message.revocation = self.get_revocation(message_id)
        return message

    def iter_messages(self) -> Iterator[Message]:
        """Every message, shard by shard, with revocations attached."""
        revocations = self.revocations()
        for path in sorted((self.root / "messages").glob("*.json")):
            with open_db(path) as db:
                docs = db.table("messages").all()
            for doc in docs:
                message = _message_from_doc(path, doc)
                message.revocation = revocations.get(message.message_id)
                yield message

    def message_exists(self, message_id: str) -> bool:
        with open_db(self._message_path(self.shard_of(message_id))) as db:
            return db.table("messages").contains(Query().message_id == message_id)

    def put_messages(self, messages: list[Message], data_keys: dict[str, dict] | None = None) -> None:
        """Insert new messages (with their wrapped content keys) and replace existing ones: every
        shard touched lands at once, then the trace index partitions their summaries are filed under."""
        new = {m.message_id: summary_of(m.to_doc()) for m in messages}
        if self.indexed:
            old = self._current_summaries(new)
            touched = {mid: partitions_of(s) | (partitions_of(old[mid]) if mid in old else set())
                       for mid, s in new.items()}
            self.index.begin(touched)
        with all_or_nothing():  # the commit: every shard of the change, or none
            if data_keys:
                self.put_data_keys(data_keys)
            for shard, group in _group_by(messages, lambda m: self.shard_of(m.message_id)).items():
                self._put_in_shard(shard, group)
        if self.indexed:
            try:
                self.index.apply(set().union(*touched.values()), set(new), new)
                self.index.finish()
            except StoreError:
                pass  # committed: the journal stays, readers take these messages from the shards,
                # and the next change files them (a full disk fails the index, not the change)

    def _put_in_shard(self, shard: str, group: list[Message]) -> None:
        with open_db(self._message_path(shard)) as db:
            table = db.table("messages")
            existing = {doc["message_id"]: doc.doc_id for doc in table.all()}
            replacements = {m.message_id: m.to_doc() for m in group if m.message_id in existing}
            fresh = [m.to_doc() for m in group if m.message_id not in existing]
            if replacements:
                table.update(lambda doc, new=replacements: doc.update(new[doc["message_id"]]),
                             doc_ids=[existing[mid] for mid in replacements])
            if fresh:
                table.insert_multiple(fresh)

    def _current_summaries(self, message_ids) -> dict[str, dict]:
        """Summaries of these messages as the shards hold them now (absent ones left out)."""
        found = {}
        for shard, ids in _group_by(list(message_ids), self.shard_of).items():
            wanted, path = set(ids), self._message_path(shard)
            with open_db(path) as db:
                for doc in db.table("messages").all():
                    if doc.get("message_id") in wanted:
                        found[doc["message_id"]] = summary_of(_message_from_doc(path, doc).to_doc())
        return found

    def load_new_mail(self, messages: dict[str, list[str]], data_keys: dict[str, list[str]],
                      partitions: dict[str, list[str]]) -> None:
        """Bulk load into a store that holds no mail yet, one write per file: message and data key
        documents as JSON text by shard, index entries ('"ID":summary') by partition."""
        if any(next((self.root / sub).glob("*.json"), None) for sub in ("messages", "datakeys")):
            raise StoreError(f"the store at {self.root} already holds mail; a bulk load needs an empty one")
        for shard, docs in messages.items():
            write_atomic(self._message_path(shard), _tinydb_text("messages", docs))
        for shard, docs in data_keys.items():
            write_atomic(self._datakey_path(shard), _tinydb_text("datakeys", docs))
        for key, entries in partitions.items():
            self.index.write_text(key, entries)

    # -- searching ---------------------------------------------------------------------

    def search(self, query: TraceQuery) -> Iterator[list[Message]]:
        """Candidate messages for a trace, as summaries (no events, no content), one batch per
        index partition, each message once, newest day first when the search goes by date.
        A store without an index yields every message in one batch."""
        if not self.indexed:
            yield list(self.iter_messages())
            return
        revocations, seen = self.revocations(), set()
        for key, entries in self.index.search(query, self._current_summaries):
            fresh = {mid: summary for mid, summary in entries.items() if mid not in seen}
            seen.update(fresh)
            try:
                batch = [Message.from_doc(summary) for summary in fresh.values()]
            except _DOC_ERRORS as exc:
                raise StoreDamaged(self.index.dir / f"{key}.json",
                                   f"a message summary is malformed ({_describe(exc)}); 'omeconsole reindex' "
                                   "rebuilds the index from the messages") from None
            for message in batch:
                message.revocation = revocations.get(message.message_id)
            yield batch

    def reindex(self) -> tuple[int, list[str]]:
        """Build the trace index from every shard. Returns how many messages it holds, and what it
        could not file (a message document it cannot read), each named with its shard and why."""
        self.index.create()
        count, skipped = 0, []

        def summaries():
            nonlocal count
            for path in sorted((self.root / "messages").glob("*.json")):
                with open_db(path) as db:
                    docs = db.table("messages").all()
                for doc in docs:
                    try:
                        message = _message_from_doc(path, doc)
                    except StoreDamaged as damaged:
                        skipped.append(f"messages/{path.name}: {damaged.problem}")
                        continue
                    count += 1
                    summary = summary_of(doc)
                    summary["received"] = format_iso(message.received)  # the day it is filed under
                    yield summary

        self.index.write_all(summaries())
        if not self.indexed:
            self.indexed = True
            self._write_manifest()
        return count, skipped

    # -- data keys ---------------------------------------------------------------------

    def put_data_keys(self, wrapped: dict[str, dict]) -> None:
        for shard, ids in _group_by(list(wrapped), self.shard_of).items():
            with open_db(self._datakey_path(shard)) as db:
                db.table("datakeys").insert_multiple({"message_id": mid, **wrapped[mid]} for mid in ids)

    def get_data_key(self, message_id: str) -> dict | None:
        with open_db(self._datakey_path(self.shard_of(message_id))) as db:
            doc = db.table("datakeys").get(Query().message_id == message_id)
        return dict(doc) if doc else None

    def with_data_keys(self, message_ids: list[str]) -> list[str]:
        """Those of these messages whose wrapped data key is still held, reading each shard once."""
        held = []
        for shard, ids in _group_by(message_ids, self.shard_of).items():
            with open_db(self._datakey_path(shard)) as db:
                present = {doc["message_id"] for doc in db.table("datakeys").all()}
            held += [mid for mid in ids if mid in present]
        return held

    def destroy_data_keys(self, message_ids: list[str]) -> int:
        """Remove wrapped data keys: what they sealed can never be opened again."""
        removed = 0
        for shard, ids in _group_by(message_ids, self.shard_of).items():
            wanted = set(ids)
            with open_db(self._datakey_path(shard)) as db:
                table = db.table("datakeys")
                doc_ids = [doc.doc_id for doc in table.all() if doc["message_id"] in wanted]
                if doc_ids:
                    table.remove(doc_ids=doc_ids)
                    removed += len(doc_ids)
        return removed

    def datakey_shards(self) -> list[Path]:
        return sorted((self.root / "datakeys").glob("*.json"))

    def read_data_keys(self, path: Path) -> list[dict]:
        with open_db(path) as db:
            return [dict(doc) for doc in db.table("datakeys").all()]

    def update_data_keys(self, path: Path, replacements: dict[str, dict]) -> None:
        """Replace the wrapped keys of some messages in one shard, in one atomic write."""
        with open_db(path) as db:
            table = db.table("datakeys")
            doc_ids = [doc.doc_id for doc in table.all() if doc["message_id"] in replacements]
            table.update(lambda doc: doc.update(replacements[doc["message_id"]]), doc_ids=doc_ids)

    # -- revocations -------------------------------------------------------------------

    @property
    def revocations_path(self) -> Path:
        return self.root / "revocations.json"

    def revocations(self) -> dict[str, Revocation]:
        with open_db(self.revocations_path) as db:
            docs = db.table("revocations").all()
        try:
            return {doc["message_id"]: Revocation.from_doc(doc) for doc in docs}
        except _DOC_ERRORS as exc:
            raise StoreDamaged(self.revocations_path, f"a revocation is malformed ({_describe(exc)})") from None

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
        self.add_revocations(revocations)
        try:
            self._finish_revoking()
        except StoreError:
            pass  # committed: the key is never used again, and the next change destroys it

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

    def _finish_revoking(self) -> None:
        pending = self.keys_being_destroyed()
        if pending:
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


    # -- access requests ---------------------------------------------------------------

    @property
    def access_path(self) -> Path:
        return self.root / "access.json"

    def access_requests(self) -> list[AccessRequest]:
        with open_db(self.access_path) as db:
            docs = db.table("requests").all()
        try:
            return [AccessRequest.from_doc(doc) for doc in docs]
        except _DOC_ERRORS as exc:
            raise StoreDamaged(self.access_path, f"an access request is malformed ({_describe(exc)})") from None

    def save_access_request(self, request: AccessRequest) -> None:
        with open_db(self.access_path) as db:
            db.table("requests").upsert(request.to_doc(), Query().id == request.id)

    # -- connected accounts ------------------------------------------------------------

    @property
    def accounts_path(self) -> Path:
        return self.root / "accounts.json"

    def accounts(self) -> list[dict]:
        with open_db(self.accounts_path) as db:
            return [dict(doc) for doc in db.table("accounts").all()]

    def save_account(self, account: dict) -> None:
        with open_db(self.accounts_path) as db:
            db.table("accounts").upsert(account, Query().id == account["id"])

    def remove_account(self, account_id: str) -> None:
        with open_db(self.accounts_path) as db:
            db.table("accounts").remove(Query().id == account_id)


def _message_from_doc(path: Path, doc: dict) -> Message:
    try:
        return Message.from_doc(doc)
    except _DOC_ERRORS as exc:
        named = f" ({doc['message_id']})" if isinstance(doc.get("message_id"), str) else ""
        raise StoreDamaged(path, f"message document {getattr(doc, 'doc_id', '?')}{named} is malformed "
                                 f"({_describe(exc)})") from None


def _tinydb_text(table: str, docs: list[str]) -> bytes:
    """A TinyDB file of one table, from documents already in JSON."""
    body = ",".join(f'"{n}":{doc}' for n, doc in enumerate(docs, 1))
    return f'{{"{table}":{{{body}}}}}'.encode("utf-8")


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def _group_by(items, key) -> dict:
    groups = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def default_store_dir() -> Path:
    """OMECONSOLE_STORE, else the per-user data directory (platformdirs)."""
    env = os.environ.get("OMECONSOLE_STORE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("omeconsole", appauthor=False) / "store"


def _door_setting(value):
    if value not in (None, "ssh"):
        raise ValueError(f"approvals_require_door {value!r} is not \"ssh\" or null")
    return value

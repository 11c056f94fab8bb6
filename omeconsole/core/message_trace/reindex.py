"""Rebuilding the trace index from the message shards, and upgrading the store's format: a Global
Administrator's repairs, audited."""

from __future__ import annotations

from omeconsole.core.context import Context
from omeconsole.core.store.store import VERSION
from omeconsole.core.store.upgrade import Progress, Upgraded, is_current, upgrade


def rebuild_trace_index(context: Context) -> tuple[int, list[str]]:
    """How many messages the index now holds, and the message documents it could not read and so
    left out (each with its shard and why)."""
    context.require_admin("reindex", "trace index")
    with context.store.writing(mend_index=False):
        context.audit("reindex", "trace index", "success", "rebuilt from the message shards")
        count, skipped = context.store.reindex()
        if skipped:
            context.audit("reindex", "trace index", "success",
                          f"{len(skipped)} message document(s) could not be read and were not filed; "
                          f"the first: {skipped[0]}")
    return count, skipped


def upgrade_store(context: Context, progress: Progress | None = None) -> Upgraded:
    """The store in the newest format: what `omeconsole upgrade` does, audited before it starts."""
    context.require_admin("upgrade", "store")
    with context.store.writing(mend_index=False):
        if is_current(context.store):
            return upgrade(context.store)  # says it already was, and changes nothing
        context.audit("upgrade", "store", "success",
                      f"from format {context.store.version} to {VERSION}: bulk files packed, index and counts rebuilt")
        return upgrade(context.store, progress)

"""Rebuilding the trace index from the message shards: a Global Administrator's repair, audited."""

from __future__ import annotations

from omeconsole.core.context import Context


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

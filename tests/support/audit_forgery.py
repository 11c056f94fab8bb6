"""What an attacker without the keyring can do to the audit log: edit lines and recompute the plain
SHA-256 chain (the algorithm is public), renumbering so that no sequence number is missing."""

import hashlib
import json

FIELDS = ("seq", "time", "actor", "role", "action", "target", "outcome", "detail", "origin", "prev")


def rechained(lines: list[str], keep_keyed_mark: bool = False, after: str | None = None) -> list[str]:
    """The lines renumbered from 1 (or on from the line `after`) with every chain value recomputed as
    SHA-256. Unless told to keep it, the "chain" mark of keyed entries is dropped too, so the log looks
    written before keying."""
    out, prev, first = [], "0" * 64, 1
    if after:
        prev, first = json.loads(after)["hash"], json.loads(after)["seq"] + 1
    for seq, line in enumerate(lines, start=first):
        record = json.loads(line)
        body = {name: record[name] for name in FIELDS}
        if keep_keyed_mark and "chain" in record:
            body["chain"] = record["chain"]
        body.update(seq=seq, prev=prev)
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        prev = hashlib.sha256((body["prev"] + canonical).encode("utf-8")).hexdigest()
        out.append(json.dumps({**body, "hash": prev}, ensure_ascii=False, separators=(",", ":")))
    return out

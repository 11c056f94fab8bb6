"""The baseline: the same messages in one plain TinyDB file, each operation a cold process.

    python bench/plain_tinydb.py build OMECONSOLE_STORE PLAIN.json
    python bench/plain_tinydb.py status|revoke|trace-id PLAIN.json MESSAGE_ID
    python bench/plain_tinydb.py trace-sender PLAIN.json ADDRESS
    python bench/plain_tinydb.py first-screen PLAIN.json DAYS
    python bench/plain_tinydb.py lookup-loaded PLAIN.json ID,ID,...
    python bench/plain_tinydb.py report-summary PLAIN.json DAYS
    python bench/plain_tinydb.py report-csv PLAIN.json DAYS      (the CSV on standard output)

Each operation prints how many records it found or changed, so the benchmark can check
that both stores gave the same answer.
"""

from __future__ import annotations

import csv
import json
import resource
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tinydb import Query, TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import JSONStorage

from omeconsole.core.store.files import read_bytes  # a packed shard (store format 2) or a plain one


def build(store: Path, target: Path) -> int:
    """Every message document of an omeconsole store, with its revocation, in one TinyDB file
    (TinyDB's own JSON layout, written in one pass rather than by a million inserts)."""
    revocations = {}
    revocations_file = store / "revocations.json"
    if revocations_file.exists():
        for doc in json.loads(read_bytes(revocations_file)).get("revocations", {}).values():
            revocations[doc["message_id"]] = doc
    count = 0
    with open(target, "w", encoding="utf-8") as out:
        out.write('{"messages": {')
        for shard in sorted((store / "messages").glob("*.json")):
            for doc in json.loads(read_bytes(shard))["messages"].values():  # packed or not
                doc["revocation"] = revocations.get(doc["message_id"])
                count += 1
                out.write(("" if count == 1 else ", ") + f'"{count}": {json.dumps(doc)}')
        out.write("}}")
    return count


def main(argv: list[str]) -> None:
    operation, path, argument = argv[0], Path(argv[1]), argv[2]
    if operation == "build":
        print(build(path, Path(argument)))
        return
    if operation == "lookup-loaded":
        print(json.dumps(lookup_loaded(path, argument.split(","))))
        return
    db = TinyDB(path)
    messages, message = db.table("messages"), Query()
    if operation == "status":
        doc = messages.get(message.message_id == argument)
        print(int(doc is not None))
    elif operation == "trace-id":
        print(sum(len(doc["recipients"]) for doc in messages.search(message.message_id == argument)))
    elif operation == "trace-sender":
        print(sum(len(doc["recipients"]) for doc in messages.search(message.sender == argument)))
    elif operation == "revoke":
        revoked = {"revoked_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "revoked_by": "bench"}
        print(len(messages.update({"revocation": revoked}, message.message_id == argument)))
    elif operation == "first-screen":
        since = (datetime.now(timezone.utc) - timedelta(days=int(argument))).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = sum(len(doc["recipients"]) for doc in messages.search(message.received >= since))
        print(json.dumps({"rows": rows, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    elif operation in ("report-summary", "report-csv"):  # DAYS whole UTC days, today the last
        today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        since = (today - timedelta(days=int(argument) - 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        found = messages.search((message.received >= since) & (message.protection.one_of(["encrypt-only",
                                                                                          "do-not-forward"])))
        if operation == "report-summary":
            print(json.dumps(_plain_summary(found)))
        else:
            _plain_csv(found)
    else:
        raise SystemExit(f"unknown operation {operation}")


def _plain_summary(docs: list[dict]) -> dict:
    """The report's charts, counted the plain way: every matching document read and tallied."""
    counts: dict[str, Counter] = {name: Counter() for name in ("method", "protection", "template", "domain", "status")}
    for doc in docs:
        counts["method"][doc["method"]] += 1
        counts["protection"][doc["protection"]] += 1
        counts["template"][doc["template"]] += 1
        counts["status"]["Revoked" if doc.get("revocation") else "other"] += 1
        counts["domain"].update({r["address"].rsplit("@", 1)[-1] for r in doc["recipients"]})
    return {"messages": len(docs), **{name: len(counter) for name, counter in counts.items()}}


def _plain_csv(docs: list[dict]) -> None:
    writer = csv.writer(sys.stdout, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(("Date", "SenderAddress", "RecipientAddress", "Subject", "EncryptionTemplate", "EncryptionMethod",
                     "RevocationStatus", "MessageId"))
    for doc in sorted(docs, key=lambda d: d["received"], reverse=True):
        for recipient in doc["recipients"]:
            writer.writerow((doc["received"], doc["sender"], recipient["address"], doc["subject"], doc["template"],
                             doc["method"], "Revoked" if doc.get("revocation") else "", doc["message_id"]))


def lookup_loaded(path: Path, message_ids: list[str]) -> dict:
    """Lookups on a database already read into memory (CachingMiddleware), as a console would hold it."""
    db = TinyDB(path, storage=CachingMiddleware(JSONStorage))
    messages, message = db.table("messages"), Query()
    messages.get(message.message_id == "warm-up")
    times = []
    for message_id in message_ids:
        started = time.perf_counter()
        assert messages.get(message.message_id == message_id) is not None
        times.append((time.perf_counter() - started) * 1000)
    return {"lookup_ms": statistics.median(times)}


if __name__ == "__main__":
    main(sys.argv[1:])

"""The import baseline: a trace export's rows read with the plain csv/json modules (no checks) and put
into one plain TinyDB file, as TinyDB writes: insert_multiple, BATCH rows a call.

    python bench/plain_import.py insert PLAIN.json FILE FORMAT    # into that TinyDB file (a copy!)
    python bench/plain_import.py read FILE FORMAT                  # read and parse only

FORMAT is a key of export_files.FORMATS. A row is what the importer counts as one: a recipient's row
(an Enhanced summary row is split at recipient_status into one document per recipient; an Extended
report row is one event). Prints {"rows": N} as JSON.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from export_files import PLAIN_READING

BATCH = 10_000


def rows_of(path: Path, kind: str) -> list[dict]:
    encoding, delimiter = PLAIN_READING[kind]
    with open(path, encoding=encoding, newline="") as stream:
        if delimiter is None:
            data = json.loads(stream.read())
            if isinstance(data, dict):
                data = data["value"] if "value" in data else data["d"]["results"]
            return data if isinstance(data, list) else [data]
        first = stream.readline()
        if not first.startswith("#TYPE"):
            stream.seek(0)
        records = list(csv.DictReader(stream, delimiter=delimiter))
    if kind != "enhanced":
        return records
    rows = []
    for record in records:
        for entry in record.pop("recipient_status").split(";"):
            recipient, _, events = entry.partition("##")
            rows.append({**record, "recipient": recipient, "events": events})
    return rows


def main(argv: list[str]) -> None:
    if argv[0] == "read":
        print(json.dumps({"rows": len(rows_of(Path(argv[1]), argv[2]))}))
        return
    if argv[0] != "insert":
        raise SystemExit(f"unknown operation {argv[0]}")
    from tinydb import TinyDB

    rows = rows_of(Path(argv[2]), argv[3])
    db = TinyDB(argv[1])
    table = db.table("messages")
    for start in range(0, len(rows), BATCH):
        table.insert_multiple(rows[start:start + BATCH])
    db.close()
    print(json.dumps({"rows": len(rows)}))


if __name__ == "__main__":
    main(sys.argv[1:])

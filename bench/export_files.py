"""Trace exports for the import benchmark, written as the real tools write them, streamed to a file.

    python bench/export_files.py FORMAT FILE --rows 20000        # about that many rows (events for Extended)
    python bench/export_files.py FORMAT FILE --megabytes 100     # a file of about 100 MB
    FORMAT: one of FORMATS below

Every row is new: its Message ID carries a tag of this run, so an import into any store adds it. Dates
fall in the last 9 days (before now), inside the 10-day StartDate/EndDate window the PowerShell
exports carry. Some messages are bifurcated copies (the same Message ID under a second Message Trace
ID, received a little later); subjects mix ASCII, æøå, emoji, quotes, commas, semicolons and, now and
then, an embedded CRLF.

The writers are this benchmark's own (streaming, so a 100 MB file is never held in memory); the
shapes follow tests/support/export_shapes.py and the fixtures in tests/fixtures/.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

# format key -> (the Format the importer should name, file rows are counted as)
FORMATS = {
    "ps-csv-en-us": "Get-MessageTrace CSV",  # Windows PowerShell 5.1 Export-Csv: #TYPE, ASCII, en-US dates
    "ps-csv-de-de": "Get-MessageTrace CSV",  # PowerShell 7 Export-Csv -UseCulture on de-DE: ";", UTF-8, no BOM
    "ps-json": "Get-MessageTrace JSON",  # Windows PowerShell 5.1 ConvertTo-Json | Out-File: UTF-16 LE, BOM
    "enhanced": "Enhanced summary report CSV",  # UTF-16 LE with BOM
    "extended": "Extended report CSV",  # one row per event, 27 columns, UTF-16 LE with BOM
    "graph": "Graph messageTraces JSON",  # v1.0-like page with @odata.nextLink, UTF-8
    "reporting": "Reporting web service JSON",  # d.results, \/Date(ms)\/, UTF-8
}
# how plain_import.py reads each: (encoding, csv delimiter or None for JSON)
PLAIN_READING = {
    "ps-csv-en-us": ("ascii", ","), "ps-csv-de-de": ("utf-8", ";"), "ps-json": ("utf-16", None),
    "enhanced": ("utf-16", ","), "extended": ("utf-16", ","), "graph": ("utf-8", None), "reporting": ("utf-8", None),
}

PS_COLUMNS = ["PSComputerName", "RunspaceId", "PSShowComputerName", "Organization", "MessageId", "Received",
              "SenderAddress", "RecipientAddress", "Subject", "Status", "ToIP", "FromIP", "Size", "MessageTraceId",
              "StartDate", "EndDate", "Index"]
PS_TYPE = "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace"
ENHANCED_COLUMNS = ["origin_timestamp_utc", "sender_address", "recipient_status", "message_subject", "total_bytes",
                    "message_id", "network_message_id", "original_client_ip", "directionality", "connector_id",
                    "delivery_priority"]
EXTENDED_COLUMNS = ["date_time_utc", "client_ip", "client_hostname", "server_ip", "server_hostname", "source_context",
                    "connector_id", "source", "event_id", "internal_message_id", "message_id", "network_message_id",
                    "recipient_address", "recipient_status", "total_bytes", "recipient_count",
                    "related_recipient_address", "reference", "message_subject", "sender_address", "return_path",
                    "message_info", "directionality", "tenant_id", "original_client_ip", "original_server_ip",
                    "custom_data"]
ORGANIZATION = "contoso.onmicrosoft.com"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
GRAPH_STATUS = {"Delivered": "delivered", "Failed": "failed", "Pending": "pending", "Expanded": "expanded",
                "FilteredAsSpam": "filteredAsSpam", "Quarantined": "quarantined", "GettingStatus": "gettingStatus"}

_FIRST = ["megan", "adele", "alex", "diego", "grady", "henrietta", "isaiah", "johanna", "joni", "lee", "lidia",
          "lynne", "miriam", "nestor", "patti", "pradeep", "søren", "åsa", "zoë", "chloé"]
_LAST = ["bowen", "vance", "wilber", "siciliani", "archie", "mueller", "langer", "lauer", "sherman", "gu", "holloway",
         "robbins", "graham", "wilke", "fernandez", "gupta", "nielsen", "lindqvist", "dupont", "martin"]
_DOMAINS = ["gmail.com", "yahoo.com", "fabrikam.com", "northwindtraders.com", "adatum.com", "litware.dk",
            "tailspintoys.de", "wingtiptoys.fr", "outlook.com", "woodgrovebank.com"]
_SUBJECTS = ["Quarterly numbers", "Offer letter", "Contract, \"final\" version", "Møde på fredag; dagsorden",
             "Résumé and references", "Payroll Q4 🔒", "Re: invoice 4411, overdue", "Kündigungsfrist – Rückfrage",
             "Team lunch 🍕", "Fwd: board pack", "Line one\r\nline two", "Ærlig talt: åben sag",
             "Salary review (confidential)", "見積書の送付", "Patient referral #{n}",
             "Wire instructions; please confirm"]
_STATUSES = ["Delivered"] * 16 + ["Failed", "Pending", "Expanded", "FilteredAsSpam", "Quarantined", "GettingStatus"]


@dataclass
class Recipient:
    address: str
    status: str  # Get-MessageTrace status
    to_ip: str | None
    events: list[tuple[datetime, str, str]] = field(default_factory=list)  # (when, EVENT_ID, detail)


@dataclass
class Copy:
    """One message copy: what one Message Trace ID names."""

    message_id: str
    trace_id: str
    received: datetime
    sender: str
    subject: str
    size: int
    from_ip: str
    recipients: list[Recipient]
    outbound: bool


def _address(rng: random.Random, domain: str | None = None) -> str:
    local = f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}"
    if rng.random() < 0.5:
        local += str(rng.randrange(1, 999))
    return f"{local}@{domain or rng.choice(_DOMAINS)}".replace("ø", "o").replace("å", "a").replace("ë", "e") \
        .replace("é", "e")


def _ip(rng: random.Random, prefix: str) -> str:
    return f"{prefix}.{rng.randrange(1, 255)}"


def copies(tag: str, seed: int, now: datetime) -> Iterator[Copy]:
    """An endless stream of message copies received in the last 9 days (before now), newest last."""
    rng = random.Random(seed)
    senders = [_address(rng, "contoso.com") for _ in range(300)]
    outsiders = [_address(rng) for _ in range(3000)]
    start = now - timedelta(days=9)
    n = 0
    while True:
        n += 1
        received = (start + timedelta(seconds=rng.uniform(0, 9 * 86400 - 600))).replace(microsecond=0)
        host = f"{rng.choice(['DM6PR11MB', 'AM6PR07MB', 'PH0PR17MB', 'SN7PR04MB'])}{rng.randrange(1000, 9999)}"
        message_id = f"<{host}{tag}{n:08X}@{host}.namprd{rng.randrange(10, 20)}.prod.outlook.com>"
        outbound = rng.random() < 0.7
        sender = rng.choice(senders) if outbound else rng.choice(outsiders)
        subject = rng.choice(_SUBJECTS).replace("{n}", str(n))
        size = rng.randrange(2_000, 400_000)
        from_ip = _ip(rng, "192.0.2")
        everyone = [rng.choice(outsiders if outbound else senders) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        everyone = list(dict.fromkeys(everyone))
        parts = [everyone]
        if len(everyone) > 1 and rng.random() < 0.15:  # a bifurcated copy: some recipients under another id
            parts = [everyone[:1], everyone[1:]]
        for k, group in enumerate(parts):
            when = received + timedelta(seconds=k * rng.randrange(1, 30))
            recipients = []
            for address in group:
                status = rng.choice(_STATUSES)
                to_ip = _ip(rng, "203.0.113") if outbound and status == "Delivered" else None
                recipients.append(Recipient(address, status, to_ip, _events(rng, when, status, outbound, to_ip)))
            yield Copy(message_id, str(uuid.UUID(int=rng.getrandbits(128), version=4)), when, sender, subject, size,
                       from_ip, recipients, outbound)


def _events(rng: random.Random, when: datetime, status: str, outbound: bool, to_ip: str | None):
    last = {"Delivered": ("SEND" if outbound else "DELIVER", f"250 2.6.0 Queued mail for delivery {to_ip or ''}"
                          .strip() if outbound else "250 2.1.5 Recipient OK"),
            "Failed": ("FAIL", "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"),
            "Pending": ("DEFER", "451 4.4.0 Primary target IP address responded with: 421 4.4.2 timed out"),
            "Expanded": ("EXPAND", "Distribution group expanded"),
            "FilteredAsSpam": ("DROP", "Message dropped as spam (SCL 9)"),  # an event the importer keeps as written
            "Quarantined": ("DROP", "Message quarantined"),
            "GettingStatus": ("AGENTINFO", "Transport rule agent")}[status]
    return [(when, "RECEIVE", "Message received by: " + rng.choice(["DM6PR11MB4321", "AM6PR07MB1234"])),
            (when + timedelta(seconds=1), "AGENTINFO", "Spam filter agent: SCL 1"),
            (when + timedelta(seconds=rng.randrange(2, 20)), *last)]


# -- how each tool writes a value --------------------------------------------------------------

def en_us(d: datetime) -> str:
    """.NET "G" on en-US: M/d/yyyy h:mm:ss tt."""
    hour, half = (d.hour % 12) or 12, "AM" if d.hour < 12 else "PM"
    return f"{d.month}/{d.day}/{d.year} {hour}:{d.minute:02}:{d.second:02} {half}"


def de_de(d: datetime) -> str:
    """.NET "G" on de-DE: dd.MM.yyyy HH:mm:ss."""
    return f"{d.day:02}.{d.month:02}.{d.year} {d.hour:02}:{d.minute:02}:{d.second:02}"


def ms_date(d: datetime) -> str:
    """ConvertTo-Json in Windows PowerShell 5.1 and the Reporting web service: "\\/Date(ms)\\/" (as JSON text)."""
    return f'"\\/Date({int(d.timestamp() * 1000)})\\/"'


def iso7(d: datetime) -> str:
    """The admin center's reports: 2026-11-20T15:04:05.1234567Z."""
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond:06d}0Z"


def ps51_ascii(text: str) -> str:
    """Windows PowerShell 5.1's ASCII: "?" for each UTF-16 unit that is not ASCII."""
    return "".join(c if ord(c) < 128 else ("??" if ord(c) > 0xFFFF else "?") for c in text)


def ps51_json_string(text: str) -> str:
    """JavaScriptSerializer (ConvertTo-Json in 5.1) escapes <, >, & and ' as \\uXXXX."""
    return (json.dumps(text, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("'", "\\u0027"))


# -- the writers: each writes copies until `enough` says stop, and counts what it wrote ----------------------

@dataclass
class Written:
    format: str
    path: str
    file_rows: int = 0  # CSV records or JSON items
    trace_rows: int = 0  # what the importer counts as rows read: a recipient's row (an event, for Extended)
    messages: int = 0
    bytes: int = 0
    first_message_id: str = ""


class _Sink:
    """Text to an encoded file, counting the bytes."""

    def __init__(self, path: Path, encoding: str, bom: bytes = b""):
        self.handle = open(path, "wb")  # noqa: SIM115 (closed by close(), after the writer's last line)
        self.encoding = encoding
        self.size = self.handle.write(bom)

    def write(self, text: str) -> None:
        data = text.encode(self.encoding, "strict")
        self.size += self.handle.write(data)

    def close(self) -> None:
        self.handle.close()


def _csv_line(values: list, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def _window(now: datetime) -> tuple[datetime, datetime]:
    """The StartDate/EndDate of the Get-MessageTrace query: under 10 days, every row inside."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - timedelta(days=9, hours=12), end


def write(kind: str, path: Path, rows: int | None, megabytes: float | None, seed: int = 16,
          tag: str | None = None, now: datetime | None = None) -> Written:
    """Write about `rows` trace rows (events, for Extended), or about `megabytes` MB, of one format."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    tag = tag or f"{random.Random().getrandbits(40):010X}"
    result = Written(FORMATS[kind], str(path))
    limit_bytes = int(megabytes * 1_000_000) if megabytes else None

    def enough(sink: _Sink) -> bool:
        if limit_bytes is not None:
            return sink.size >= limit_bytes
        return result.trace_rows >= rows

    writer = {"ps-csv-en-us": _powershell_csv, "ps-csv-de-de": _powershell_csv, "ps-json": _ps_json,
              "enhanced": _enhanced, "extended": _extended, "graph": _graph, "reporting": _reporting}[kind]
    def stream() -> Iterator[Copy]:
        for copy in copies(tag, seed, now):
            result.first_message_id = result.first_message_id or copy.message_id
            yield copy

    sink = writer(kind, path, stream(), now, result, enough)
    result.bytes = sink.size
    return result


def _ps_values(copy: Copy, r: Recipient, index: int, window, dates) -> list:
    return ["outlook.office365.com", "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", "False", ORGANIZATION, copy.message_id,
            dates(copy.received), copy.sender, r.address, copy.subject, r.status, r.to_ip or "", copy.from_ip,
            str(copy.size), copy.trace_id, dates(window[0]), dates(window[1]), str(index)]


def _powershell_csv(kind, path, stream, now, result, enough) -> _Sink:
    german = kind == "ps-csv-de-de"
    sink = _Sink(path, "utf-8" if german else "ascii")
    delimiter, dates = (";", de_de) if german else (",", en_us)
    window = _window(now)
    if not german:
        sink.write(PS_TYPE + "\r\n")
    sink.write(_csv_line(PS_COLUMNS, delimiter))
    for copy in stream:
        result.messages += 1
        for r in copy.recipients:
            line = _csv_line(_ps_values(copy, r, result.file_rows, window, dates), delimiter)
            sink.write(line if german else ps51_ascii(line))
            result.file_rows += 1
            result.trace_rows += 1
        if enough(sink):
            break
    sink.close()
    return sink


def _ps_json(kind, path, stream, now, result, enough) -> _Sink:
    sink = _Sink(path, "utf-16-le", b"\xff\xfe")
    window = _window(now)
    sink.write("[\r\n")
    first = True
    for copy in stream:
        result.messages += 1
        for r in copy.recipients:
            values = _ps_values(copy, r, result.file_rows, window, lambda d: d)
            body = []
            for name, value in zip(PS_COLUMNS, values, strict=True):
                if name in ("Received", "StartDate", "EndDate"):
                    text = ms_date(value)
                elif name == "PSShowComputerName":
                    text = "false"
                elif name in ("Size", "Index"):
                    text = str(value)
                elif name == "ToIP" and not value:
                    text = "null"
                else:
                    text = ps51_json_string(value)
                body.append(f'        "{name}":  {text}')
            sink.write(("" if first else ",\r\n") + "    {\r\n" + ",\r\n".join(body) + "\r\n    }")
            first = False
            result.file_rows += 1
            result.trace_rows += 1
        if enough(sink):
            break
    sink.write("\r\n]\r\n")
    sink.close()
    return sink


def _enhanced(kind, path, stream, now, result, enough) -> _Sink:
    sink = _Sink(path, "utf-16-le", b"\xff\xfe")
    sink.write(_csv_line(ENHANCED_COLUMNS))
    for copy in stream:
        result.messages += 1
        packed = ";".join(f"{r.address}##{', '.join(e[1].capitalize() for e in r.events if e[1] != 'AGENTINFO')}"
                          for r in copy.recipients)
        sink.write(_csv_line([iso7(copy.received), copy.sender, packed, copy.subject, str(copy.size), copy.message_id,
                              copy.trace_id, copy.from_ip, "Originating" if copy.outbound else "Incoming", "",
                              "Normal"]))
        result.file_rows += 1
        result.trace_rows += len(copy.recipients)
        if enough(sink):
            break
    sink.close()
    return sink


def _extended(kind, path, stream, now, result, enough) -> _Sink:
    sink = _Sink(path, "utf-16-le", b"\xff\xfe")
    sink.write(_csv_line(EXTENDED_COLUMNS))
    for copy in stream:
        result.messages += 1
        internal = str(10_000_000 + result.messages)
        for r in copy.recipients:
            for when, event, detail in r.events:
                receive, send = event == "RECEIVE", event in ("SEND", "DELIVER")
                source = {"RECEIVE": "SMTP", "AGENTINFO": "AGENT", "DELIVER": "STOREDRIVER"}.get(event, "SMTP")
                sink.write(_csv_line([
                    iso7(when), copy.from_ip if receive else "", "mail-oi1-f170.google.com" if receive else "",
                    (r.to_ip or "") if send else "", "DM6PR11MB4321.namprd11.prod.outlook.com",
                    "08DB2C1A3F5E7B90;2026-11-20T15:04:05.123Z;0" if receive else "",
                    "Outbound to contoso.com" if send and copy.outbound else "", source, event, internal,
                    copy.message_id, copy.trace_id, r.address, "" if receive else detail, str(copy.size),
                    str(len(copy.recipients)), "", "", copy.subject, copy.sender, copy.sender,
                    f"{iso7(copy.received)};SRV=DM6PR11MB4321.namprd11.prod.outlook.com:TOTAL-SUB=0.235",
                    "Originating" if copy.outbound else "Incoming", TENANT_ID, copy.from_ip, "",
                    "S:DeliveryPriority=Normal;S:AccountForest=EURPR07A001.prod.outlook.com"]))
                result.file_rows += 1
                result.trace_rows += 1
        if enough(sink):
            break
    sink.close()
    return sink


def _graph(kind, path, stream, now, result, enough) -> _Sink:
    sink = _Sink(path, "utf-8")
    sink.write('{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#admin/exchange/tracing/messageTraces",'
               '"value":[')
    first = True
    for copy in stream:
        result.messages += 1
        for r in copy.recipients:
            item = {"id": copy.trace_id, "messageId": copy.message_id,
                    "receivedDateTime": copy.received.strftime("%Y-%m-%dT%H:%M:%SZ"), "senderAddress": copy.sender,
                    "recipientAddress": r.address, "subject": copy.subject, "status": GRAPH_STATUS[r.status],
                    "size": copy.size, "fromIP": copy.from_ip, "toIP": r.to_ip}
            sink.write(("" if first else ",") + json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            first = False
            result.file_rows += 1
            result.trace_rows += 1
        if enough(sink):
            break
    sink.write('],"@odata.nextLink":"https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces?'
               '$skiptoken=bench"}')
    sink.close()
    return sink


def _reporting(kind, path, stream, now, result, enough) -> _Sink:
    sink = _Sink(path, "utf-8")
    window = _window(now)
    base = "https://reports.office365.com/ecp/ReportingWebService/Reporting.svc/MessageTrace"
    sink.write('{"d":{"results":[')
    first = True
    for copy in stream:
        result.messages += 1
        for r in copy.recipients:
            n = result.file_rows
            fields = [f'"__metadata":{{"id":"{base}({n})","uri":"{base}({n})","type":"TenantReporting.MessageTrace"}}',
                      f'"Organization":"{ORGANIZATION}"', f'"MessageId":{json.dumps(copy.message_id)}',
                      f'"Received":{ms_date(copy.received)}', f'"SenderAddress":{json.dumps(copy.sender)}',
                      f'"RecipientAddress":{json.dumps(r.address)}', f'"Subject":{json.dumps(copy.subject)}',
                      f'"Status":"{r.status}"', f'"ToIP":{json.dumps(r.to_ip)}', f'"FromIP":"{copy.from_ip}"',
                      f'"Size":{copy.size}', f'"MessageTraceId":"{copy.trace_id}"',
                      f'"StartDate":{ms_date(window[0])}', f'"EndDate":{ms_date(window[1])}', f'"Index":{n}']
            sink.write(("" if first else ",") + "{" + ",".join(fields) + "}")
            first = False
            result.file_rows += 1
            result.trace_rows += 1
        if enough(sink):
            break
    sink.write(f'],"__next":"{base}?$skiptoken=bench"}}}}')
    sink.close()
    return sink


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("format", choices=sorted(FORMATS))
    parser.add_argument("file", type=Path)
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--rows", type=int)
    size.add_argument("--megabytes", type=float)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(write(args.format, args.file, args.rows, args.megabytes, args.seed).__dict__))


if __name__ == "__main__":
    main()

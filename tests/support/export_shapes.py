"""Trace exports in the shapes admins really bring (issue 16), written from generated rows: bytes out,
exactly as the tool that makes each one writes it.

Independent of the importer on purpose: nothing here comes from omeconsole.core.message_trace (a test
that shares the code it checks cannot fail). The shapes follow Microsoft's documentation of each
format (Get-MessageTrace, Export-Csv and ConvertTo-Json in Windows PowerShell 5.1 and PowerShell 7,
the admin center's historical search reports, Graph exchangeMessageTrace, the Office 365 Reporting
web service) and the exports of public scripts.

- `Trace`: one recipient's row of one message copy, with the events the event formats carry.
- Writers: `powershell_csv`, `convertto_json`, `enhanced_summary`, `extended_report`, `graph_json`,
  `reporting_service_json`; `cut` makes a truncated download.
- `CULTURES`: each culture's .NET "G" date pattern, AM/PM designators and list separator (our own
  table, from .NET's culture data), and the date order that pattern implies.
- `random_traces`: generated traces for the round trip (several messages and recipients, bifurcated
  copies, hostile subjects).
"""

from __future__ import annotations

import codecs
import json
import random
import re
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

Event = tuple[datetime, str, str]  # (when, event name as Get-MessageTraceDetail shows it, detail)


@dataclass(frozen=True)
class Trace:
    """One row of Get-MessageTrace: one recipient of one message copy.

    A *bifurcated copy* is two groups of rows with the same message_id but different trace_id and
    received. status is Get-MessageTrace's text ("Delivered"), or what Graph wrote when it is none of
    its eight values ("recalled", "unknownFutureValue")."""

    message_id: str  # "<left@right>"
    trace_id: str  # GUID, lower case, with dashes
    received: datetime  # aware UTC, whole seconds
    sender: str
    recipient: str
    subject: str
    status: str
    size: int
    from_ip: str | None
    to_ip: str | None
    events: list[Event] = field(default_factory=list)


PS_STATUSES = ("None", "GettingStatus", "Failed", "Pending", "Delivered", "Expanded", "Quarantined",
               "FilteredAsSpam")
GRAPH_STATUS = {"Delivered": "delivered", "Failed": "failed", "Pending": "pending", "Expanded": "expanded",
                "Quarantined": "quarantined", "FilteredAsSpam": "filteredAsSpam",
                "GettingStatus": "gettingStatus"}
GRAPH_ONLY_STATUSES = ("recalled", "unknownFutureValue")  # in Graph's documented enum, not Get-MessageTrace's
# The statuses the event formats (Enhanced summary, Extended report) can express, by their last event.
EVENT_STATUS = {"Deliver": "Delivered", "Send": "Delivered", "Fail": "Failed", "Expand": "Expanded",
                "Defer": "Pending"}

ORGANIZATION = "contoso.onmicrosoft.com"
TENANT_ID = "7c0d5e2a-3b4f-4c6d-8e9f-a0b1c2d3e4f5"
RUNSPACE_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
TYPE_NAME = "Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace"

# ---------------------------------------------------------------------------------------------------
# Encodings


def ascii_replace(text: str) -> str:
    """What .NET's ASCII encoding writes for TEXT (Windows PowerShell 5.1's Export-Csv default): '?'
    for every UTF-16 code unit it cannot encode, so an emoji (a surrogate pair) becomes '??'."""
    return "".join(c if ord(c) < 0x80 else "?" * (2 if ord(c) > 0xFFFF else 1) for c in text)


def encode(text: str, encoding: str, bom: bool | None = None) -> bytes:
    """TEXT in ENCODING: "ascii", "utf-8", "utf-8-sig", "utf-16-le" or "utf-16-be". bom=None: the BOM
    .NET writes by default (UTF-16 yes, UTF-8 only as utf-8-sig)."""
    if encoding == "ascii":
        return ascii_replace(text).encode("ascii")
    if encoding in ("utf-8", "utf-8-sig"):
        with_bom = encoding == "utf-8-sig" if bom is None else bom
        return (codecs.BOM_UTF8 if with_bom else b"") + text.encode("utf-8")
    if encoding in ("utf-16-le", "utf-16-be"):
        mark = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
        return (mark if bom is None or bom else b"") + text.encode(encoding)
    raise ValueError(f"unknown encoding {encoding!r}")


def encoding_label(data: bytes, encoding: str) -> str:
    """The name, in the CLI contract's words, of ENCODING as DATA shows it: with or without its BOM; 8-bit
    text without a BOM whose bytes are all below 0x80 is ASCII, whatever wrote it."""
    if encoding in ("utf-16-le", "utf-16-be"):
        name = "UTF-16 LE" if encoding == "utf-16-le" else "UTF-16 BE"
        mark = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
        return name + " with BOM" if data.startswith(mark) else name
    if data.startswith(codecs.BOM_UTF8):
        return "UTF-8 with BOM"
    return "ASCII" if data.isascii() else "UTF-8"


def encoding_labels(data: bytes, encoding: str) -> set[str]:
    """What an import of DATA may report as its Encoding. An ASCII file may be called UTF-8 (it is that
    too), except one .NET's ASCII encoding wrote: there "ASCII" is what explains the '?'s."""
    label = encoding_label(data, encoding)
    return {"ASCII", "UTF-8"} if label == "ASCII" and encoding != "ascii" else {label}


def cut(data: bytes, at: int) -> bytes:
    """A truncated download: the first AT bytes (negative: all but the last -AT)."""
    return data[:at]


def undashed(guid: str) -> str:
    """A network message ID as 32 hex digits without dashes (Microsoft documents that form too)."""
    return guid.replace("-", "")


def canonical_message_id(message_id: str) -> str:
    """How the console shows a Message-ID: the left part as written, the right part in lower case."""
    left, _, right = message_id.strip().strip("<>").rpartition("@")
    return f"<{left}@{right.lower()}>"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


# ---------------------------------------------------------------------------------------------------
# Cultures: .NET's "G" pattern (ShortDatePattern + " " + LongTimePattern), AM/PM designators and list
# separator, for the cultures admins use most.


@dataclass(frozen=True)
class Culture:
    name: str
    pattern: str  # .NET custom date and time format
    list_separator: str
    am: str = ""
    pm: str = ""

    @property
    def date_order(self) -> str:
        """"MDY", "DMY" or "YMD": the order of the date parts in this culture's short date."""
        date_part = self.pattern.split(" ")[0]
        positions = {part: date_part.index(part) for part in "yMd"}
        return "".join(p.upper() for p in sorted(positions, key=positions.get))

    @property
    def date_separator(self) -> str:
        return re.sub(r"[yMd]", "", self.pattern.split(" ")[0])[0]

    def format(self, moment: datetime) -> str:
        """MOMENT (UTC, as Get-MessageTrace returns it) in this culture's "G" format."""
        moment = moment.astimezone(UTC)
        twelve = moment.hour % 12 or 12
        values = {"yyyy": f"{moment.year:04d}", "MM": f"{moment.month:02d}", "M": str(moment.month),
                  "dd": f"{moment.day:02d}", "d": str(moment.day), "HH": f"{moment.hour:02d}",
                  "H": str(moment.hour), "hh": f"{twelve:02d}", "h": str(twelve), "mm": f"{moment.minute:02d}",
                  "ss": f"{moment.second:02d}", "tt": self.am if moment.hour < 12 else self.pm}
        return _TOKEN.sub(lambda m: values[m.group()], self.pattern)


_TOKEN = re.compile(r"yyyy|MM|M|dd|d|HH|H|hh|h|mm|ss|tt")
CULTURES = {c.name: c for c in (
    Culture("en-US", "M/d/yyyy h:mm:ss tt", ",", "AM", "PM"),
    Culture("en-GB", "dd/MM/yyyy HH:mm:ss", ","),
    Culture("de-DE", "dd.MM.yyyy HH:mm:ss", ";"),
    Culture("fr-FR", "dd/MM/yyyy HH:mm:ss", ";"),
    Culture("da-DK", "dd-MM-yyyy HH:mm:ss", ";"),
    Culture("nl-NL", "d-M-yyyy HH:mm:ss", ";"),
    Culture("sv-SE", "yyyy-MM-dd HH:mm:ss", ";"),
    Culture("ja-JP", "yyyy/MM/dd H:mm:ss", ","),
    Culture("zh-CN", "yyyy/M/d H:mm:ss", ","),
    Culture("en-CA", "yyyy-MM-dd h:mm:ss tt", ",", "a.m.", "p.m."),
    Culture("pt-BR", "dd/MM/yyyy HH:mm:ss", ";"),
    Culture("es-ES", "dd/MM/yyyy H:mm:ss", ";"),
)}
# Beyond the twelve: day-first WITH AM/PM, so that only a day over 12 or a query window settles its order.
EN_AU = Culture("en-AU", "d/MM/yyyy h:mm:ss tt", ",", "AM", "PM")
ALL_CULTURES = {**CULTURES, EN_AU.name: EN_AU}


def query_window(rows: Iterable[Trace]) -> tuple[datetime, datetime]:
    """The StartDate and EndDate of the Get-MessageTrace query that returned ROWS: midnight of the first
    day to midnight after the last, at most 10 days (the cmdlet's limit)."""
    times = [r.received for r in rows]
    start = datetime.combine(min(times).date(), time(), UTC)
    end = datetime.combine(max(times).date() + timedelta(days=1), time(), UTC)
    if end - start > timedelta(days=10):
        raise ValueError(f"rows span {end - start}: one Get-MessageTrace query covers at most 10 days")
    return start, end


# ---------------------------------------------------------------------------------------------------
# Get-MessageTrace | Export-Csv

PS_COLUMNS = ("PSComputerName", "RunspaceId", "PSShowComputerName", "Organization", "MessageId", "Received",
              "SenderAddress", "RecipientAddress", "Subject", "Status", "ToIP", "FromIP", "Size", "MessageTraceId",
              "StartDate", "EndDate", "Index")
# `Get-MessageTrace | Select-Object ... | Export-Csv`: what admins' scripts keep; no query window.
SELECTED_COLUMNS = ("Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "ToIP", "FromIP", "Size",
                    "MessageId", "MessageTraceId")


def _csv_cell(value: str | None) -> str:
    """Export-Csv's field: always quoted, quotes doubled; a $null property is written as nothing."""
    if value is None:
        return ""
    return '"' + value.replace('"', '""') + '"'


def _ps_values(row: Trace, index: int, culture: Culture, window: tuple[datetime, datetime]) -> dict:
    return {"PSComputerName": "outlook.office365.com", "RunspaceId": RUNSPACE_ID, "PSShowComputerName": False,
            "Organization": ORGANIZATION, "MessageId": row.message_id, "Received": row.received,
            "SenderAddress": row.sender, "RecipientAddress": row.recipient, "Subject": row.subject,
            "Status": row.status, "ToIP": row.to_ip, "FromIP": row.from_ip, "Size": row.size,
            "MessageTraceId": row.trace_id, "StartDate": window[0], "EndDate": window[1], "Index": index}


def powershell_csv(rows: list[Trace], culture: str = "en-US", encoding: str = "ascii", bom: bool | None = None,
                   type_line: bool = True, use_culture: bool = False, window: bool = True) -> bytes:
    """`Get-MessageTrace | Export-Csv`. Windows PowerShell 5.1 writes the #TYPE line (type_line) and ASCII by
    default; PowerShell 7 neither (UTF-8, no #TYPE). use_culture: -UseCulture, the culture's list separator
    as the delimiter. window=False: `Select-Object` kept the usual columns and dropped StartDate/EndDate."""
    c = ALL_CULTURES[culture]
    delimiter = c.list_separator if use_culture else ","
    columns = PS_COLUMNS if window else SELECTED_COLUMNS
    lines = []
    if type_line:
        lines.append("#TYPE " + (TYPE_NAME if window else "Selected." + TYPE_NAME))
    lines.append(delimiter.join(_csv_cell(name) for name in columns))
    query = query_window(rows)
    for index, row in enumerate(rows):
        values = _ps_values(row, index, c, query)
        lines.append(delimiter.join(_csv_cell(_ps_text(values[name], c)) for name in columns))
    return encode("\r\n".join(lines) + "\r\n", encoding, bom)


def _ps_text(value, culture: Culture) -> str | None:
    """A property as Export-Csv writes it: ToString() in the current culture."""
    if isinstance(value, datetime):
        return culture.format(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    return None if value is None else str(value)


# ---------------------------------------------------------------------------------------------------
# Get-MessageTrace | ConvertTo-Json

JSON_PROPERTIES = ("PSComputerName", "RunspaceId", "PSShowComputerName", "Organization", "MessageId", "Received",
                   "SenderAddress", "RecipientAddress", "Subject", "Status", "ToIP", "FromIP", "Size",
                   "MessageTraceId", "StartDate", "EndDate", "Index")


def _json_string(text: str, ps: str) -> str:
    """A JSON string as PowerShell writes it. 5.1 (JavaScriptSerializer) also escapes < > & ' as \\u003c
    and so on; 7 (Newtonsoft) escapes only what JSON requires. Neither escapes other non-ASCII text."""
    named = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    out = []
    for ch in text:
        if ch in named:
            out.append(named[ch])
        elif ord(ch) < 0x20 or (ps == "5.1" and ch in "<>&'") or (ps == "7" and ch in "\u0085\u2028\u2029"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _json_value(value, ps: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if ps == "5.1":
            return f'"\\/Date({epoch_ms(value)})\\/"'
        return f'"{iso(value)}"'  # a UTC DateTime: round-trip "o" format, no fraction for whole seconds
    return _json_string(value, ps)


def convertto_json(rows: list[Trace], ps: str = "5.1", encoding: str | None = None, bom: bool | None = None) -> bytes:
    """`Get-MessageTrace | ConvertTo-Json | Out-File`: a top-level array (one object when there is one row).
    5.1 indents 4 spaces with two after each colon and writes DateTime as "\\/Date(ms)\\/", Out-File in
    UTF-16 LE with a BOM; 7 indents 2, writes ISO 8601 dates, UTF-8 without a BOM."""
    if ps not in ("5.1", "7"):
        raise ValueError(f"PowerShell {ps!r}: 5.1 or 7")
    unit, colon = ("    ", ":  ") if ps == "5.1" else ("  ", ": ")
    query = query_window(rows)

    def obj(row: Trace, index: int, depth: int) -> str:
        values = _ps_values(row, index, CULTURES["en-US"], query)
        pad = unit * (depth + 1)
        body = ",\r\n".join(f"{pad}{_json_string(k, ps)}{colon}{_json_value(values[k], ps)}" for k in JSON_PROPERTIES)
        return f"{unit * depth}{{\r\n{body}\r\n{unit * depth}}}"

    if len(rows) == 1:
        text = obj(rows[0], 0, 0)
    else:
        text = "[\r\n" + ",\r\n".join(obj(row, i, 1) for i, row in enumerate(rows)) + "\r\n]"
    default = "utf-16-le" if ps == "5.1" else "utf-8"
    return encode(text + "\r\n", encoding or default, bom)


# ---------------------------------------------------------------------------------------------------
# The admin center's historical search reports (Enhanced summary, Extended)

ENHANCED_COLUMNS = ("origin_timestamp_utc", "sender_address", "recipient_status", "message_subject", "total_bytes",
                    "message_id", "network_message_id", "original_client_ip", "directionality", "connector_id",
                    "delivery_priority")
EXTENDED_COLUMNS = ("date_time_utc", "client_ip", "client_hostname", "server_ip", "server_hostname",
                    "source_context", "connector_id", "source", "event_id", "internal_message_id", "message_id",
                    "network_message_id", "recipient_address", "recipient_status", "total_bytes", "recipient_count",
                    "related_recipient_address", "reference", "message_subject", "sender_address", "return_path",
                    "message_info", "directionality", "tenant_id", "original_client_ip", "original_server_ip",
                    "custom_data")
_TERMINAL_FOR_STATUS = {"Delivered": "Deliver", "Failed": "Fail", "Pending": "Defer", "Expanded": "Expand"}


def events_of(row: Trace) -> list[Event]:
    """ROW's events, or the plain ones its status implies (Receive, then Deliver / Fail / Defer / Expand)."""
    if row.events:
        return list(row.events)
    events = [(row.received, "Receive", "Received by the service")]
    terminal = _TERMINAL_FOR_STATUS.get(row.status)
    if terminal:
        events.append((row.received + timedelta(seconds=2), terminal, f"{terminal} event"))
    return events


def copies(rows: Iterable[Trace]) -> list[list[Trace]]:
    """ROWS grouped into message copies (one per trace_id), in the order they first appear."""
    groups: dict[str, list[Trace]] = {}
    for row in rows:
        groups.setdefault(row.trace_id, []).append(row)
    return list(groups.values())


_NONE: Mapping[str, str] = MappingProxyType({})


def _report_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _directionality(sender: str) -> str:
    return "Originating" if sender.lower().endswith("@contoso.com") else "Incoming"


def _network_id(trace_id: str, written_ids: Mapping[str, str]) -> str:
    return written_ids.get(trace_id, trace_id)


def _report_csv(columns, records: Iterable[dict], encoding: str, bom: bool | None) -> bytes:
    lines = [",".join(_csv_cell(c) for c in columns)]
    lines += [",".join(_csv_cell(str(record.get(c, ""))) for c in columns) for record in records]
    return encode("\r\n".join(lines) + "\r\n", encoding, bom)


def enhanced_summary(rows: list[Trace], encoding: str = "utf-16-le", bom: bool | None = True,
                     written_ids: Mapping[str, str] = _NONE) -> bytes:
    """The Enhanced summary report (historical search): one row per MESSAGE COPY; recipient_status packs
    every recipient's events, `bob@x.com##Receive, Deliver;eve@y.com##Receive, Fail`. WRITTEN_IDS: trace
    ids written in another form, e.g. {guid: undashed(guid)}."""
    records = []
    for copy in copies(rows):
        first = copy[0]
        packed = ";".join(f"{r.recipient}##" + ", ".join(name for _, name, _ in events_of(r)) for r in copy)
        records.append({
            "origin_timestamp_utc": _report_time(first.received), "sender_address": first.sender,
            "recipient_status": packed, "message_subject": first.subject, "total_bytes": first.size,
            "message_id": first.message_id, "network_message_id": _network_id(first.trace_id, written_ids),
            "original_client_ip": first.from_ip or "", "directionality": _directionality(first.sender),
            "connector_id": "" if _directionality(first.sender) == "Originating" else "Inbound from partner",
            "delivery_priority": "Normal"})
    return _report_csv(ENHANCED_COLUMNS, records, encoding, bom)


_SOURCE = {"RECEIVE": "SMTP", "DELIVER": "STOREDRIVER", "SEND": "SMTP", "FAIL": "ROUTING", "DEFER": "SMTP",
           "EXPAND": "ROUTING", "DROP": "ROUTING", "REDIRECT": "ROUTING", "AGENTINFO": "AGENT",
           "TRANSFER": "ROUTING", "RESOLVE": "ROUTING"}
_RECIPIENT_STATUS = {"SEND": "250 2.6.0 Queued mail for delivery",
                     "FAIL": "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
                     "DEFER": "451 4.4.0 DNS query failed. The error was: DNS query failed with error: ErrorRetry"}


def _extended_record(first: Trace, internal: str, network_id: str, event: Event, recipients: list[Trace]) -> dict:
    when, name, detail = event
    event_id = name.upper()
    receive = event_id == "RECEIVE"
    server_ip = next((r.to_ip for r in recipients if r.to_ip), "") if event_id in ("SEND", "DELIVER") else ""
    custom = {"RECEIVE": "S:ProxiedClientIPAddress=;S:SCL=1;S:SFV=NSPM",
              "AGENTINFO": "S:AMA=SUM|v=1|action=|error=|atch=0;S:TRA=ETR|ruleId=;S:DlpRu="}
    return {
        "date_time_utc": _report_time(when), "client_ip": (first.from_ip or "") if receive else "",
        "client_hostname": "mail.fabrikam.com" if receive else "", "server_ip": server_ip,
        "server_hostname": "PH0PR17MB9999.namprd17.prod.outlook.com",
        "source_context": f"08DE{internal};{_report_time(when)};0" if receive else detail,
        "connector_id": "", "source": _SOURCE.get(event_id, "ROUTING"), "event_id": event_id,
        "internal_message_id": internal, "message_id": first.message_id, "network_message_id": network_id,
        "recipient_address": ";".join(r.recipient for r in recipients),
        "recipient_status": _RECIPIENT_STATUS.get(event_id, ""), "total_bytes": first.size,
        "recipient_count": len(recipients), "related_recipient_address": "", "reference": "",
        "message_subject": first.subject, "sender_address": first.sender, "return_path": first.sender,
        "message_info": (f"{_report_time(first.received)};SRV=PH0PR17MB9999.namprd17.prod.outlook.com:"
                         "TOTAL-SUB=0.123|SA=0.044") if event_id == "DELIVER" else "",
        "directionality": _directionality(first.sender), "tenant_id": TENANT_ID,
        "original_client_ip": first.from_ip or "", "original_server_ip": "", "custom_data": custom.get(event_id, "")}


def extended_report(rows: list[Trace], encoding: str = "utf-16-le", bom: bool | None = True,
                    written_ids: Mapping[str, str] = _NONE) -> bytes:
    """The Extended report (historical search): one row PER EVENT, the 27 columns of message tracking.
    A copy's RECEIVE is one row naming all its recipients (`;`, recipient_count), as the tracking log
    writes it; every later event is one recipient's row. event_id is upper case."""
    records = []
    for number, copy in enumerate(copies(rows)):
        first = copy[0]
        internal = str(52398042101 + number * 7919)
        network_id = _network_id(first.trace_id, written_ids)
        when, name, detail = events_of(first)[0]
        if name != "Receive":
            raise ValueError("an Extended report copy starts with its RECEIVE event")
        records.append(_extended_record(first, internal, network_id, (when, name, detail), copy))
        for row in copy:
            records.extend(_extended_record(first, internal, network_id, event, [row]) for event in events_of(row)[1:])
    return _report_csv(EXTENDED_COLUMNS, records, encoding, bom)


# ---------------------------------------------------------------------------------------------------
# JSON services


def graph_json(rows: list[Trace], version: str = "v1.0", next_link: bool = True) -> bytes:
    """Graph `GET /admin/exchange/tracing/messageTraces` as saved from the response: compact UTF-8."""
    base = f"https://graph.microsoft.com/{version}"
    document = {"@odata.context": f"{base}/$metadata#admin/exchange/tracing/messageTraces", "value": [
        {"id": r.trace_id, "messageId": r.message_id, "receivedDateTime": iso(r.received),
         "senderAddress": r.sender, "recipientAddress": r.recipient, "subject": r.subject,
         "status": GRAPH_STATUS.get(r.status, r.status), "size": r.size, "fromIP": r.from_ip, "toIP": r.to_ip}
        for r in rows]}
    if next_link:
        document["@odata.nextLink"] = (f"{base}/admin/exchange/tracing/messageTraces?$skiptoken="
                                       "RmFicmlrYW1Ta2lwVG9rZW4xMjM0NQ")
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_DATE_TOKEN = re.compile(r'"/Date\((\d+)\)/"')


def reporting_service_json(rows: list[Trace]) -> bytes:
    """The Office 365 Reporting web service, `reporting.svc/MessageTrace?$format=Json`: OData v2 verbose
    JSON, `{"d": {"results": [...], "__next": ...}}`, dates "\\/Date(ms)\\/", Edm.Int64 (Index) as a string,
    non-ASCII escaped."""
    service = "https://reports.office365.com/ecp/ReportingWebService/Reporting.svc"
    start, end = query_window(rows)
    results = []
    for index, r in enumerate(rows):
        uri = f"{service}/MessageTrace({index})"
        results.append({
            "__metadata": {"id": uri, "uri": uri, "type": "TenantReporting.MessageTrace"},
            "Organization": ORGANIZATION, "MessageId": r.message_id, "Received": f"/Date({epoch_ms(r.received)})/",
            "SenderAddress": r.sender, "RecipientAddress": r.recipient, "Subject": r.subject, "Status": r.status,
            "ToIP": r.to_ip, "FromIP": r.from_ip, "Size": r.size, "MessageTraceId": r.trace_id,
            "StartDate": f"/Date({epoch_ms(start)})/", "EndDate": f"/Date({epoch_ms(end)})/", "Index": str(index)})
    document = {"d": {"results": results, "__next": f"{service}/MessageTrace?$format=Json&$skiptoken=1000"}}
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    return _DATE_TOKEN.sub(lambda m: f'"\\/Date({m.group(1)})\\/"', text).encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# Generated traces

SUBJECT_PIECES = ("Quarterly numbers", "Offer letter", "Réunion à 10h", "Kvartalsrapport æøå ÆØÅ", "Grüße aus Köln",
                  "🔒 Confidential", "Party 🎉😀", 'Re: "final" version, v2; signed', "Line one\r\nLine two",
                  "=SUM(A1:A2)", "日本語の件名", 'Q3, Q4; and "more"', "Budget 2027 – draft", "It's <urgent> & late")
ADDRESSES = ("megan.bowen@contoso.com", "adele.vance@contoso.com", "Diego.Siciliani@Contoso.com",
             "lee.gu@contoso.com", "nestor.wilke@contoso.com", "bob.kelly@gmail.com", "eve.martin@yahoo.com",
             "ray.chen@fabrikam.com", "sam.rivera@northwindtraders.com", "priya.shah@tailspintoys.com",
             "o'brien@fabrikam.com", "j.doe+trace@adatum.com")
IPS = ("192.0.2.10", "192.0.2.20", "198.51.100.4", "203.0.113.7", "203.0.113.9", "2001:db8::25")


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def message_id(rng: random.Random) -> str:
    if rng.random() < 0.7:
        server = f"{rng.choice(('DM6PR11', 'PH0PR17', 'AM6PR07', 'SN7PR04'))}MB{rng.randrange(1000, 9999)}"
        return f"<{server}{rng.getrandbits(64):016X}@{server}.namprd{rng.randrange(1, 20):02d}.prod.outlook.com>"
    token = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_=-") for _ in range(24))
    return f"<CA{token}@mail.gmail.com>"


def subject(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return ""
    return " - ".join(rng.sample(SUBJECT_PIECES, rng.choice((1, 1, 2, 3))))


def _events(rng: random.Random, received: datetime, status: str) -> list[Event]:
    events: list[Event] = [(received, "Receive", "Received by the service")]
    later = received
    if rng.random() < 0.4:  # an event in between, one Get-MessageTrace has no name for among them
        later += timedelta(seconds=1)
        events.append((later, *rng.choice((("AgentInfo", "Transport rule and anti-malware agents ran"),
                                           ("Redirect", "Redirected by a mail flow rule")))))
    terminal = {"Delivered": rng.choice(("Deliver", "Send")), "Failed": "Fail", "Pending": "Defer",
                "Expanded": "Expand"}[status]
    events.append((later + timedelta(seconds=rng.randrange(1, 30)), terminal, f"{terminal} event"))
    return events


def random_traces(rng: random.Random, now: datetime, *, messages: int = 4, low_days: bool = False,
                  statuses: Collection[str] = PS_STATUSES, with_events: bool = False) -> list[Trace]:
    """Several messages, one to four recipients each, the first split into a bifurcated copy (others at
    random), hostile subjects. Received: within the last 9 days; low_days: all on one day of last year
    whose day and month are both 12 or less (and differ), so only a query window can settle the order.
    with_events: statuses and events an Enhanced summary or Extended report can express."""
    if with_events:
        statuses = tuple(EVENT_STATUS.values())
    statuses = sorted(set(statuses))
    if low_days:
        month = rng.randrange(1, 13)
        day = rng.choice([d for d in range(1, 13) if d != month])
        base_day = datetime.combine(date(now.year - 1, month, day), time(1), UTC)
    rows: list[Trace] = []
    for number in range(messages):
        if low_days:
            received = base_day + timedelta(seconds=rng.randrange(0, 18 * 3600))
        else:
            received = now - timedelta(seconds=rng.randrange(15 * 60, 9 * 24 * 3600 - 3600))
        received = received.replace(microsecond=0)
        sender = rng.choice(ADDRESSES)
        recipients = rng.sample([a for a in ADDRESSES if a.lower() != sender.lower()],
                                rng.randrange(2 if number == 0 else 1, 5))
        split = len(recipients) > 1 and (number == 0 or rng.random() < 0.25)
        groups = [recipients[:1], recipients[1:]] if split else [recipients]
        common = {"message_id": message_id(rng), "sender": sender, "subject": subject(rng),
                  "size": rng.randrange(900, 30_000_000), "from_ip": rng.choice((*IPS, None))}
        for copy_number, group in enumerate(groups):
            copy_received = received + timedelta(seconds=copy_number * rng.randrange(5, 900))
            trace_id = guid(rng)
            for recipient in group:
                status = rng.choice(statuses)
                rows.append(Trace(trace_id=trace_id, received=copy_received, recipient=recipient, status=status,
                                  to_ip=rng.choice((*IPS, None, None)),
                                  events=_events(rng, copy_received, status) if with_events else [], **common))
    return rows


# ---------------------------------------------------------------------------------------------------
# What an import of generated rows must show (the CLI contract of `import`, `trace` and `trace-detail`)

FORMAT_CSV = "Get-MessageTrace CSV"
FORMAT_JSON = "Get-MessageTrace JSON"
FORMAT_ENHANCED = "Enhanced summary report CSV"
FORMAT_EXTENDED = "Extended report CSV"
FORMAT_GRAPH = "Graph messageTraces JSON"
FORMAT_REPORTING = "Reporting web service JSON"
EVENT_FORMATS = (FORMAT_ENHANCED, FORMAT_EXTENDED)


def expected_record(row: Trace, fmt: str, ascii_only: bool = False) -> dict:
    """ROW as `trace --json` must show it after an import of a FMT file. ascii_only: written by .NET's
    ASCII encoding, so every non-ASCII character of the subject became '?'. The Enhanced summary has
    no ToIP; the Extended report's next hop is left to the importer (not compared)."""
    record = {"Received": iso(row.received), "SenderAddress": row.sender.lower(),
              "RecipientAddress": row.recipient.lower(),
              "Subject": ascii_replace(row.subject) if ascii_only else row.subject, "Status": row.status,
              "MessageId": canonical_message_id(row.message_id), "MessageTraceId": row.trace_id, "Size": row.size,
              "FromIP": row.from_ip, "ToIP": row.to_ip}
    if fmt == FORMAT_ENHANCED:
        record["ToIP"] = None
    if fmt == FORMAT_EXTENDED:
        del record["ToIP"]
    return record


def trace_window(rows: Iterable[Trace]) -> tuple[str, str]:
    """--start and --end around ROWS, a day either side."""
    times = [r.received for r in rows]
    return iso(min(times) - timedelta(days=1)), iso(max(times) + timedelta(days=1))


def file_rows(fmt: str, rows: list[Trace]) -> int:
    """How many data rows a FMT file of ROWS has: one per recipient, except the Enhanced summary (one per
    copy) and the Extended report (one per event; a copy's RECEIVE is one row)."""
    if fmt == FORMAT_ENHANCED:
        return len(copies(rows))
    if fmt == FORMAT_EXTENDED:
        return len(copies(rows)) + sum(len(events_of(r)) - 1 for r in rows)
    return len(rows)


def assert_summary(summary: dict, path, data: bytes, encoding: str, fmt: str, rows: list[Trace],
                   date_order: str | None = None) -> None:
    """The --json summary of a clean first import of ROWS."""
    assert summary["File"] == str(path)
    assert summary["Format"] == fmt and summary["Encoding"] in encoding_labels(data, encoding), summary
    if date_order:  # year-first dates need no order: "YMD" or none
        assert summary["DateOrder"] in ({date_order, None} if date_order == "YMD" else {date_order}), summary
        assert isinstance(summary["DateReason"], str) and summary["DateReason"].strip(), summary
    assert (summary["RowsRejected"], summary["Rejected"], summary["RowsAlreadyPresent"]) == (0, [], 0), summary
    # A row is a recipient's trace row; the event formats may count their lines, or each recipient's events.
    events = sum(len(events_of(r)) for r in rows)
    units = {len(rows), file_rows(fmt, rows), events} if fmt in EVENT_FORMATS else {len(rows)}
    assert summary["RowsRead"] in units and summary["RowsAdded"] in units, summary
    ids, trace_ids = {r.message_id for r in rows}, {r.trace_id for r in rows}
    assert len(ids) <= summary["MessagesAdded"] <= len(trace_ids), summary  # a copy may count as a message
    times = [r.received for r in rows]
    last = {iso(max(times))}
    if fmt == FORMAT_EXTENDED:  # the range of the file's dates may end with its last event
        last.add(iso(max(when for r in rows for when, _, _ in events_of(r))))
    assert summary["FirstReceived"] == iso(min(times)) and summary["LastReceived"] in last, summary


def assert_store_holds(cli, rows: list[Trace], fmt: str, ascii_only: bool = False) -> list[dict]:
    """Every field of every row, as `trace --json` shows it, and nothing else in the store; the rows shown."""
    start, end = trace_window(rows)
    shown = cli.json("trace", "--start", start, "--end", end)
    got = {(r["MessageTraceId"], r["RecipientAddress"]): r for r in shown}
    assert len(got) == len(shown), "two rows for one recipient of one copy"
    if fmt == FORMAT_EXTENDED:
        got = {key: {k: v for k, v in r.items() if k != "ToIP"} for key, r in got.items()}
    want = {(r.trace_id, r.recipient.lower()): expected_record(r, fmt, ascii_only) for r in rows}
    assert sorted(got) == sorted(want)
    for key, record in want.items():
        assert got[key] == record, key
    return shown


def assert_details_match(cli, row: Trace, fmt: str) -> None:
    """`trace-detail` for ROW's recipient: its events in order (names as written, in any case: the Extended
    report writes them in capitals); the Extended report also gives each event its own time."""
    details = cli.json("trace-detail", "--message-id", canonical_message_id(row.message_id),
                       "--recipient", row.recipient)
    want = events_of(row)
    assert [d["Event"].lower() for d in details] == [name.lower() for _, name, _ in want], details
    if fmt == FORMAT_EXTENDED:
        assert [d["Date"] for d in details] == [iso(when) for when, _, _ in want], details

"""send: mail from a tenant user, through the simulated mail flow."""

from __future__ import annotations

from omeconsole.cli import render
from omeconsole.cli.context import open_context
from omeconsole.cli.output import emit, wants_json
from omeconsole.cli.streams import read_bounded
from omeconsole.core.mail.model import EncryptionMethod, Protection
from omeconsole.core.mail.send import MAX_BODY_BYTES, send_message
from omeconsole.core.text.times import parse_iso


def cmd_send(args) -> int:
    context = open_context(args)
    protection = Protection.parse(args.encrypt) if args.encrypt else Protection.NONE
    message = send_message(context,
        sender=args.sender, recipients=args.recipients, subject=args.subject, body=_body(args),
        protection=protection, method=EncryptionMethod.parse(args.applied_by), template=args.template,
        received=parse_iso(args.received, "--received") if args.received else None,
    )
    if wants_json(args):
        emit(render.as_json({
            "MessageId": message.message_id, "MessageTraceId": message.trace_id,
            "Recipients": [{"RecipientAddress": r.address,
                            "Experience": r.experience.value if r.experience else None} for r in message.recipients],
        }))
        return 0
    emit(message.message_id)
    emit(f"MessageTraceId: {message.trace_id}")
    for r in message.recipients:
        emit(f"  to {r.address}" + (f" ({r.experience.value})" if r.experience else ""))
    return 0


def _body(args) -> str:
    if args.body is not None:
        return args.body
    what = "the body (standard input)" if args.body_file == "-" else "--body-file"
    return read_bounded(args.body_file, what, MAX_BODY_BYTES)

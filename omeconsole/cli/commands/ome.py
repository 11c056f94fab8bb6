"""status, revoke, portal: Get-OMEMessageStatus, Set-OMEMessageRevocation, and the OME portal."""

from __future__ import annotations

from omeconsole.cli import render
from omeconsole.cli.context import open_context
from omeconsole.cli.output import emit, wants_json
from omeconsole.core.ome.portal import open_in_portal
from omeconsole.core.ome.revocation import set_ome_message_revocation
from omeconsole.core.ome.status import get_ome_message_status
from omeconsole.core.text.times import format_iso
from omeconsole.core.text.untrusted import shown


def cmd_status(args) -> int:
    record = get_ome_message_status(open_context(args), args.message_id).to_record()
    emit(render.as_json(record) if wants_json(args) else render.as_list(record))
    return 0


def cmd_revoke(args) -> int:
    message = set_ome_message_revocation(open_context(args), args.message_id)
    if wants_json(args):
        revocation = message.revocation
        assert revocation is not None  # the revocation just made
        emit(render.as_json({"MessageId": message.message_id, "Subject": message.subject, "Revoked": True,
                             "RevokedBy": revocation.revoked_by, "RevokedAt": format_iso(revocation.revoked_at)}))
    else:
        emit(f"The encrypted email with the subject \"{shown(message.subject)}\" and Message ID "
             f"\"{message.message_id}\" was successfully revoked")
    return 0


def cmd_portal(args) -> int:
    view = open_in_portal(open_context(args), args.message_id, args.recipient)
    if wants_json(args):
        emit(render.as_json(view.to_record()))
    elif view.body is not None:
        emit(f"OME portal, signed in as {view.recipient}\nFrom:    {view.message.sender}\n"
             f"Subject: {shown(view.message.subject)}\n\n{view.body}")
    else:
        emit(f"OME portal, signed in as {view.recipient}\n{view.text}")
    return 0

"""Sending mail as a tenant user: the message is composed as Exchange Online would record it,
its portal copy sealed, and both stored in one audited change."""

from __future__ import annotations

import random
from datetime import datetime

from omeconsole.core.context import Context
from omeconsole.core.dkm.envelope import PORTAL_CONTENT, seal
from omeconsole.core.errors import NotFound, Refused, StoreError, UsageError
from omeconsole.core.mail.flow import Draft, compose, portal_content
from omeconsole.core.mail.model import MAX_SUBJECT, EncryptionMethod, Message, Protection
from omeconsole.core.rules import require_send_as
from omeconsole.core.tenant.model import validate_template_name
from omeconsole.core.text.addresses import normalize_address, unique
from omeconsole.core.text.times import received_problem

MAX_BODY_BYTES = 25 * 1024 * 1024
MAX_RECIPIENTS = 500


def send_message(context: Context, *, sender: str, recipients: list[str], subject: str, body: str,
                 protection: Protection = Protection.NONE, method: EncryptionMethod | None = None,
                 template: str | None = None, received: datetime | None = None) -> Message:
    draft = _draft(context, sender, recipients, subject, body, protection, method, template, received)
    with context.store.writing():
        context.reload_tenant()
        try:
            require_send_as(context.actor, draft.sender)
        except Refused as error:
            raise context.refuse("send", draft.sender, error) from None
        found = context.tenant.template(draft.template) if draft.template else None
        if draft.template and found is None:
            raise NotFound(f"no branding template named \"{draft.template}\"; see 'omeconsole template list'")
        if found is not None:
            draft.template = found.name
        message = _compose_unique(context, draft)
        message.sealed_content, wrapped = seal(context.keyring(), PORTAL_CONTENT, message.message_id,
                                               portal_content(subject, body))
        context.audit("send", message.message_id, "success",
                      f"from {draft.sender} to {len(draft.recipients)} recipient(s); "
                      f"{protection.label}" + (f", template \"{message.template}\"" if message.template else ""))
        context.store.put_messages([message], data_keys={message.message_id: wrapped})
    return message


def _draft(context: Context, sender, recipients, subject, body, protection, method, template, received) -> Draft:
    sender = normalize_address(sender, "sender (--from)")
    if not context.tenant.is_internal(sender):
        raise UsageError(f"the sender {sender} is not in an accepted domain of {context.tenant.organization}")
    addresses = unique(normalize_address(r, "recipient (--to)") for r in recipients)
    if not addresses:
        raise UsageError("a message needs at least one recipient (--to)")
    if len(addresses) > MAX_RECIPIENTS:
        raise UsageError(f"a message may have at most {MAX_RECIPIENTS} recipients; this one has {len(addresses)}")
    subject = subject.strip() if subject else ""
    if not subject or len(subject) > MAX_SUBJECT or "\n" in subject or "\r" in subject:
        raise UsageError(f"the subject must be one line of 1 to {MAX_SUBJECT} characters")
    try:
        if len((subject + body).encode("utf-8")) > MAX_BODY_BYTES:
            raise UsageError(f"the body is larger than {MAX_BODY_BYTES // 2**20} MiB")
    except UnicodeEncodeError:
        raise UsageError("the subject or body is not valid Unicode text (it holds a lone surrogate)") from None
    if template and protection is Protection.NONE:
        raise UsageError("a branding template applies only to encrypted mail; add --encrypt")
    when = received or context.clock()
    problem = received_problem(when, context.clock())
    if problem:
        raise UsageError(problem)
    return Draft(sender, addresses, subject, body, when, protection, method,
                 validate_template_name(template) if template else None)


def _compose_unique(context: Context, draft: Draft) -> Message:
    rng = random.SystemRandom()
    for _ in range(5):
        message = compose(context.tenant, draft, rng)
        if not context.store.message_exists(message.message_id):
            return message
    raise StoreError("could not allocate a unique Message ID")

"""Connected accounts: a user's third-party mailbox credentials, sealed by the keyring."""

from __future__ import annotations

from dataclasses import dataclass

from omeconsole.core.context import ContextService
from omeconsole.core.dkm.elevated_access import ElevatedAccess
from omeconsole.core.dkm.envelope import ACCOUNT_CREDENTIAL, open_sealed, seal
from omeconsole.core.errors import NotFound, Refused, UsageError
from omeconsole.core.rules import may_manage_account, sees_account, sees_all_messages
from omeconsole.core.text.addresses import normalize_address
from omeconsole.core.text.times import format_iso
from omeconsole.core.text.untrusted import refuse_hidden

PROVIDERS = ("gmail", "yahoo", "outlook", "imap")
MAX_LOGIN = 254
MAX_CREDENTIAL = 1024


@dataclass(frozen=True)
class ConnectedAccount:
    id: str
    mailbox: str
    provider: str
    login: str
    created: str
    created_by: str

    def to_record(self) -> dict:
        return {"Id": self.id, "Mailbox": self.mailbox, "Provider": self.provider, "Login": self.login,
                "Created": self.created, "CreatedBy": self.created_by}

    @classmethod
    def from_doc(cls, doc: dict) -> ConnectedAccount:
        return cls(doc["id"], doc["mailbox"], doc["provider"], doc["login"], doc["created"], doc["created_by"])


class ConnectedAccounts(ContextService):

    def add(self, mailbox: str, provider: str, login: str, credential: str) -> ConnectedAccount:
        mailbox = normalize_address(mailbox, "mailbox")
        provider = (provider or "").strip().lower()
        if provider not in PROVIDERS:
            raise UsageError(f"provider {provider!r} is not one of {', '.join(PROVIDERS)}")
        login = refuse_hidden((login or "").strip(), "the login")
        if not login or len(login) > MAX_LOGIN or any(c.isspace() for c in login):
            raise UsageError(f"the login must be 1 to {MAX_LOGIN} characters with no spaces")
        credential = credential.rstrip("\r\n")
        if not credential or len(credential) > MAX_CREDENTIAL:
            raise UsageError(f"the password (on standard input) must be 1 to {MAX_CREDENTIAL} characters")
        with self.store.writing():
            self.context.reload_tenant()
            if self.tenant.user(mailbox) is None:
                why = f"{mailbox} is not a mailbox of {self.tenant.organization}"
                self.context.audit("accounts add", mailbox, "refused", why)
                raise NotFound(why)
            if not may_manage_account(self.actor, mailbox):
                raise self.context.refuse("accounts add", mailbox, Refused(
                    f"only {mailbox} or a Global Administrator may connect accounts to that mailbox"))
            keyring = self.context.keyring()
            accounts = self.store.accounts()
            account_id = f"CA-{max((int(a['id'][3:]) for a in accounts), default=0) + 1:04d}"
            sealed, wrapped = seal(keyring, ACCOUNT_CREDENTIAL, account_id, credential.encode("utf-8"))
            account = ConnectedAccount(account_id, mailbox, provider, login, format_iso(self.context.clock()),
                                       self.actor.address)
            self.context.audit("accounts add", account_id, "success", f"{provider} account {login} for {mailbox}; "
                                                                      f"credential {keyring.keyed_hash(credential)}")
            self.store.save_account({"id": account_id, "mailbox": mailbox, "provider": provider, "login": login,
                                     "created": account.created, "created_by": account.created_by,
                                     "sealed": sealed, "wrapped": wrapped})
        return account

    def list(self) -> list[ConnectedAccount]:
        self.context.require_reader("accounts list")
        with self.store.reading():
            accounts = [ConnectedAccount.from_doc(a) for a in self.store.accounts()]
        if sees_all_messages(self.actor):
            return accounts
        return [a for a in accounts if a.mailbox == self.actor.address]

    def _doc(self, account_id: str, action: str, *, acting: bool = False) -> dict:
        """The account, if this identity may see it. A user's attempt at another's is audited, and so is an
        `acting` one (a change or a key use) at one that is not there; an overseer's look that finds nothing
        is an answer, not a refusal."""
        self.context.require_reader(action, account_id)
        wanted = account_id.strip().upper()
        doc = next((a for a in self.store.accounts() if a["id"] == wanted), None)
        if doc is None or not sees_account(self.actor, doc["mailbox"]):
            if acting or not sees_all_messages(self.actor):
                whose = "" if sees_all_messages(self.actor) else " among this identity's own"
                self.context.audit(action, wanted[:40], "refused", f"no such account{whose}")
            raise NotFound(f"no connected account {account_id!r}; see 'omeconsole accounts list'")
        return doc

    def show(self, account_id: str) -> ConnectedAccount:
        with self.store.reading():
            return ConnectedAccount.from_doc(self._doc(account_id, "accounts show"))

    def reveal(self, account_id: str) -> tuple[ConnectedAccount, str, str]:
        """(account, elevation ID, credential): only under an active elevation, audited."""
        with self.store.writing():
            self.context.reload_tenant()
            doc = self._doc(account_id, "accounts reveal", acting=True)
            elevation = ElevatedAccess(self.context).require_active("accounts reveal", doc["id"])
            self.context.audit("accounts reveal", doc["id"], "success", f"elevation use under {elevation.id}")
            plaintext = open_sealed(self.context.keyring(), ACCOUNT_CREDENTIAL, doc["id"], doc["sealed"],
                                    doc["wrapped"])
        return ConnectedAccount.from_doc(doc), elevation.id, plaintext.decode("utf-8")

    def remove(self, account_id: str) -> ConnectedAccount:
        with self.store.writing():
            self.context.reload_tenant()
            doc = self._doc(account_id, "accounts remove", acting=True)
            if not may_manage_account(self.actor, doc["mailbox"]):
                raise self.context.refuse("accounts remove", doc["id"], Refused(
                    f"only {doc['mailbox']} or a Global Administrator may remove {doc['id']}"))
            self.context.audit("accounts remove", doc["id"], "success",
                                f"{doc['provider']} account for {doc['mailbox']}; its sealed credential and key are "
                                "deleted")
            self.store.remove_account(doc["id"])
        return ConnectedAccount.from_doc(doc)

"""accounts.json: connected accounts, their credentials sealed by the keyring."""

from __future__ import annotations

from pathlib import Path

from tinydb import Query

from omeconsole.core.store.files import open_db


class AccountFile:
    root: Path

    @property
    def accounts_path(self) -> Path:
        return self.root / "accounts.json"

    def accounts(self) -> list[dict]:
        with open_db(self.accounts_path) as db:
            return [dict(doc) for doc in db.table("accounts").all()]

    def save_account(self, account: dict) -> None:
        with open_db(self.accounts_path) as db:
            db.table("accounts").upsert(account, Query().id == account["id"])

    def remove_account(self, account_id: str) -> None:
        with open_db(self.accounts_path) as db:
            db.table("accounts").remove(Query().id == account_id)

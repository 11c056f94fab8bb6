"""The Encryption Report's status word as check_revocation's full decision gives it: what the tests hold
rules.revocation_status (the report's cheaper path) to."""


def status_word(decision) -> str:
    if decision.revoked:
        return "Revoked"
    return "Revocable" if decision.is_revocable else "Not revocable"

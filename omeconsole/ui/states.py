"""States a person must tell apart without colour: each is a symbol and a word as well as a style.

NO_COLOR, a monochrome terminal or colour blindness must not hide that a message is Revoked or that
a key version is destroyed, so no table or pane draws a state by its colour alone: they draw
`state_text(word)`, which puts the state's symbol before the word. Symbols are one cell wide in
every terminal font we tried (no emoji). Styles are Rich styles that keep their meaning in
monochrome too: the states to notice are bold, none is dim (dim grey on near-black is unreadable).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from omeconsole.core.text.untrusted import shown


@dataclass(frozen=True)
class StateLook:
    symbol: str
    style: str


NEUTRAL = StateLook("·", "")

# Keyed by the word as the core writes it, lower-cased.
STATES: dict[str, StateLook] = {
    # The Encryption Report's Revocation status and Details' IsRevocable / Revoked
    "revocable": StateLook("✓", "bold green"),
    "not revocable": StateLook("–", ""),
    "revoked": StateLook("✗", "bold red"),
    "expired": StateLook("⊘", "bold yellow"),
    "true": StateLook("✓", "bold green"),
    "false": StateLook("–", ""),
    # Get-MessageTrace statuses
    "delivered": StateLook("✓", ""),
    "failed": StateLook("✗", "bold red"),
    "pending": StateLook("◌", "yellow"),
    "gettingstatus": StateLook("◌", "yellow"),
    "quarantined": StateLook("⊘", "bold yellow"),
    "filteredasspam": StateLook("⊘", "bold yellow"),
    "expanded": StateLook("↳", ""),
    "none": NEUTRAL,
    # Key versions
    "primary": StateLook("●", "bold green"),
    "archived": StateLook("○", "yellow"),
    "destroyed": StateLook("✗", "bold red"),
    "present": StateLook("●", "bold"),  # a message's content key, still held
    # Access requests
    "active": StateLook("●", "bold green"),
    "approved": StateLook("●", "bold green"),
    "denied": StateLook("✗", "bold red"),
    "ended": StateLook("–", ""),
    "refused": StateLook("⊘", "bold red"),
    # Audit outcomes
    "success": StateLook("✓", "green"),
    "failure": StateLook("✗", "bold red"),
}

# Access requests waiting for approvals have states such as "pending (1 of 2 approvals)".
# (◌, not …: an ellipsis there reads as text cut short.)
PREFIXES: tuple[tuple[str, StateLook], ...] = (("pending", StateLook("◌", "bold yellow")),
                                              ("awaiting", StateLook("◌", "bold yellow")))


def state_look(word: str) -> StateLook:
    key = word.strip().lower()
    if key in STATES:
        return STATES[key]
    for prefix, look in PREFIXES:
        if key.startswith(prefix):
            return look
    return NEUTRAL


def state_text(word: object, limit: int | None = 400) -> Text:
    """The state as literal text, `✗ Revoked`, styled: the word is data, so it goes through `shown`."""
    text = shown(word)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    look = state_look(text)
    return Text(f"{look.symbol} {text}", style=look.style)

"""The browser door: textual-serve behind a token, an Origin check and session limits."""

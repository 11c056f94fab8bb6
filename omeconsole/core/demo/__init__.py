"""The Contoso demo tenant and its bulk mail."""

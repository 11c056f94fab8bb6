"""Text as it comes and goes: addresses, Message IDs, times, display-safe text, CSV cells, bounded reads."""

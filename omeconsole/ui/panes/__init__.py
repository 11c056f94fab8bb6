"""The console's panes, one per Exchange feature: Message Trace, Encryption Report, Details, Key manager."""

"""The Encryption Report: its Details rows, the summary views, and the service that builds both."""

"""The Message Trace: its query, the search (Get-MessageTrace), rows, imports of real trace exports,
console exports, and rebuilding the trace index."""

"""The SSH door: authentication by key, one console per session on a PTY, limits and refusals."""

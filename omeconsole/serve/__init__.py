"""Front doors: the console over SSH (asyncssh) and in a browser (textual-serve).

The SSH server imports no Textual: each session's console is its own process.
"""

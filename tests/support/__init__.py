"""What the tests share: the real CLI in a subprocess, a console under Pilot, the SSH and browser doors,
the hostile corpus, an injected clock, and the scripts some tests run in a process of their own.
conftest.py keeps the fixtures; nothing here is a test, and no test imports from another test module."""

"""The store: durable files, the lock, and each file kind's reads and writes. Only services touch it."""

"""What one person keeps between sessions: their searches and their theme."""

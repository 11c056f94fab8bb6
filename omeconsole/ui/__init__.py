"""The Textual face. Imported only when the console is drawn; the core never imports it."""

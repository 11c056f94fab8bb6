"""The core: domain, rules, store and services. Never imports Textual."""

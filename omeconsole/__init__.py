"""omeconsole: a terminal admin console for Office 365 Message Encryption revocation."""

__version__ = "0.1.0"

"""`omeconsole serve portal`: the OME portal, where a link-based recipient signs in with a one-time
passcode and reads the message (aiohttp). The sign-in rules are the core's (core/ome/portal_sign_in.py)."""

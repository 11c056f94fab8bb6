"""The OME service: the status check, revocation and the portal a link-based recipient reads in."""

"""`omeconsole serve mail`: the tenant's outbound SMTP server and the delivery loop behind it."""

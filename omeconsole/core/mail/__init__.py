"""Mail: the message model, the simulated mail flow, and sending."""

"""The audit trail: the chained log written before every action, its verification and signed checkpoints."""

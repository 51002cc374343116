"""What an operator sees of the real processes: SIGTERM, a start on the tutorial's database, health,
metrics, logs, the audit trail and the refresh counters."""

"""Redis high availability: Sentinel failover, TLS, and PostgreSQL over verified TLS (issue 26)."""

"""The tutorial's frontends, played request for request through the gateway (issue 8)."""

"""Signing keys of every kind (EdDSA, ES256, RS256), checked with PyJWT from the JWKS, and key rotation."""

"""tokens/: RS256 signing and verification on the tenant clock, the signing key and its JWKS,
the cache of verified Management API tokens, the blacklist of their jtis (blacklist.py), a
connection's keys, and the encryption key hierarchy (/api/v2/keys/encryption) with its Bring
Your Own Key wrapping keys.

May import: tenant, applications (to recognise the Management API audience)."""

"""tokens/: RS256 signing and verification on the tenant clock, the signing key and its JWKS,
and the cache of verified Management API tokens.

May import: tenant, applications (to recognise the Management API audience)."""

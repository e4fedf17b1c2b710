"""tenant/: what every domain shares. The Tenant and its configuration, the clock (the only
place wall time is read), the seeded RNG, Auth0 id formats, the error envelopes, the mock
settings registry and the state directory.

May import: nothing else in core. Everything else may import it."""

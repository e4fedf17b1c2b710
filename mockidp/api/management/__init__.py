"""/api/v2: registry.py authenticates callers and declares each operation with its scopes (from
Auth0's spec); one module per resource (applications/ for core/applications' resources)."""

"""email/: the mailroom (queue on the tenant clock, delivery modes, outbox), Liquid templates with
Auth0's variables, which emails Auth0 sends and when, password-change and email-verification
tickets, and the Management API's jobs: verification emails, user imports (imports.py) and
user exports (exports.py).

May import: tenant, applications, tokens, directory, logs. Never login or actions."""

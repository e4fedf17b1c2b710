"""email/: the mailroom (queue on the tenant clock, delivery modes, outbox), Liquid templates with
Auth0's variables, which emails Auth0 sends and when, and password-change and email-verification
tickets (the Management API's jobs, a verification email among them, are core/jobs/).

May import: tenant, applications, tokens, directory, logs. Never login or actions."""

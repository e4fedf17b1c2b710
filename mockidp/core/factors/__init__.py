"""factors/: one-time codes and second factors. Passwordless connections (strategy `email`):
codes and magic links sent through the mailroom, checked on the tenant clock (single use, an
attempt limit), and the users they sign up (passwordless.py). MFA: the tenant's Guardian
settings (guardian.py), mfa_tokens and authenticators (mfa.py), TOTP on the tenant clock (totp.py),
codes by email or SMS (oob.py; sms.py texts them), wrong-code limits and Guardian's gd_* logs
(attempts.py), the hosted MFA pages' state (hosted_mfa.py), a user's MFA in the Management API
(authentication methods: methods.py; enrollments, resets, legacy providers: enrollments.py), the
phone outbox (phone_outbox.py).

May import: tenant, applications, tokens, directory, logs, email, actions. Never login: login
imports factors (the OTP grant, the magic link's /authorize login)."""

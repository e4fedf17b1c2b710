"""Blueprints of core/factors outside the Authentication API: the hosted MFA pages (pages.py) and
the control plane of one-time codes (control.py: /_mock/sms, /_mock/mfa/totp)."""

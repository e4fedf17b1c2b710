"""/api/v2 routes of core/factors: the tenant's Guardian settings and a user's MFA."""

"""directory/: the tenant's stored records (core/directory/records.py holds every index) and the
users in them: create/read/update/delete with Auth0's rules, Lucene user search, account
linking, field projection, and the account changes other domains listen to.

May import: tenant, applications, tokens."""

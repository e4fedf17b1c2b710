"""applications/: the tenant's clients, connections (with their password policies, password
hashing and the strategies that sign in upstream), resource servers (APIs) and client grants, as the Management API stores them.

May import: tenant."""

"""applications/: the tenant's clients, connections (with their password policies and password
hashing), resource servers (APIs) and client grants, as the Management API stores them.

May import: tenant."""

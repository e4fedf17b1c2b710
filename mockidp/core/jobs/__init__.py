"""jobs/: the Management API's jobs (/api/v2/jobs): a verification email (jobs.py), user imports
(imports.py: a JSON file of users, bcrypt hashes that log in, per-user errors) and user exports
(exports.py: gzipped CSV or JSON files served by mockidp); each runs when it is created, and
GET /jobs/{id} reads any of them.

May import: email, directory, applications, tenant. Never login, factors or actions."""

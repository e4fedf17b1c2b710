"""harness/: the control plane of the test harness. Many tenants in one server (tenants.py: the
/t/{name}/ addressing and /_mock/tenants), snapshots and state files (snapshots.py:
/_mock/snapshots, /_mock/state), and the request journal (journal.py: /_mock/journal).

May import: api's shared helpers (http, control) and the core; nothing else in api imports it
but app.py.
"""

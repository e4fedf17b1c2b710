"""harness/: the control plane of the test harness. Many tenants in one server (tenants.py: the
/t/{name}/ addressing and /_mock/tenants), snapshots and state files (snapshots.py:
/_mock/snapshots, /_mock/state), the request journal (journal.py: /_mock/journal), and the dev
console (console.py: the page at /_mock/, its scripts in web/templates/console/).

May import: api's shared helpers (http, control, hosted's page headers) and the core; nothing
else in api imports it but app.py.
"""

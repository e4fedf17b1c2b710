"""/api/v2 for the resources declared in core/resources: routes.py finds the operation a request
names (no werkzeug rule per operation, so they cost start-up nothing), views.py answers it."""

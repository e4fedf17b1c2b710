"""api/: thin Flask blueprints. Each view parses and validates a request, calls the core and
formats the response. management/ serves /api/v2, authentication/ the Authentication API,
login.py and hosted.py the hosted pages, outbox.py, traffic.py and control.py the /_mock control
plane. May import the core, never the runtime or the CLI."""

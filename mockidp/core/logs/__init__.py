"""logs/: tenant log events with Auth0's type codes (s, f, ss, scp, sapi...), their shape,
storage and search (/api/v2/logs); and the event stream derived from them (/api/v2/events:
stream.py).

May import: tenant, applications, tokens, directory."""

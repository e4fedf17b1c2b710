"""actions/: Auth0 Actions. Their storage and versions (storage.py), trigger bindings
(bindings.py), running the bound Actions of a trigger with their events and api calls
(triggers.py), and the one place Node runs (runtime.py).

May import: tenant, applications, tokens, directory, logs, authorization. Never email or login."""

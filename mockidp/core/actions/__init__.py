"""actions/: Auth0 Actions. Their storage and versions (storage.py), Actions Modules and the
module versions Actions name (modules.py), trigger bindings (bindings.py), the bound Actions of
each trigger with their events and api calls (triggers.py: post-login with its redirects,
post-change-password; registration.py: pre- and post-user-registration; machine.py:
credentials-exchange; phone.py: send-phone-message), running one Action and recording the
execution (executions.py), the metadata an Action sets (metadata.py), the Management API's test
endpoint and execution records (dry_run.py), and the one place Node runs (runtime.py).

May import: tenant, applications, tokens, directory, logs, authorization. Never email or login:
login/ calls in."""

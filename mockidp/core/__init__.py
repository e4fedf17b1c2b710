"""The core: Auth0's behaviour in plain Python (no Flask), grouped by domain, one package each.
Functions take a Tenant and plain inputs and return plain data or raise Auth0Error subclasses.

The domains, lowest first; each may import only those below it (checked by import-linter, see
[tool.importlinter] in pyproject.toml and tests/test_architecture.py):

    tenant < applications | traffic < tokens < directory < logs < authorization < email | actions
    < organizations < login < upstream (social and enterprise sign-in)
    < fixtures < assembly (builds a Tenant from every domain's part)
"""

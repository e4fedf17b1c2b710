"""upstream/: social and enterprise sign-in through mockidp's built-in mock upstream identity
provider. The upstream identities the mock provider knows (known.py), how an upstream identity
becomes an Auth0 user (profiles.py) and the round trip /authorize → mock provider →
/login/callback (flow.py). Which strategies sign in upstream is the connections' business
(applications/strategies.py). mockidp never contacts a real provider: the "provider" is a page of
mockidp's own under /_mock/upstream/.

May import: login, and every domain below it.
"""

"""mockidp: a local, deterministic stand-in for Auth0."""

__version__ = "0.1.0"

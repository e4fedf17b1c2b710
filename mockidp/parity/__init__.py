"""The parity replayer: real Auth0 traffic (go-vcr cassettes recorded by go-auth0's test suite, or
your own) replayed against mockidp, each answer compared with Auth0's. `mockidp parity --help`;
docs/parity.md.

    cassettes.py  finding and reading cassettes in place
    recording.py  what the recorder rewrote (domain, headers, fake credentials, re-serialized
                  bodies) and how a replay undoes it
    idmap.py      what an id is; recorded → live ids, substituted in later requests; path templates
    world.py      the authentication cassettes' placeholders and the live objects and values a
                  replay gives them (clients, APIs, a user, codes, tokens)
    transport.py  the keep-alive connection to mockidp: fresh tenant, frozen clock, token
    compare.py    body shapes compared (keys, absent vs null) and each interaction classified
    dependence.py which interactions depend on the recording tenant (left out of the
                  self-contained figure), each with its reason
    replay.py     one cassette on one fresh tenant, interaction by interaction
    report.py     per-family tables, totals, the JSON report
    ledger.py     the ratchet file of interactions that match today
    command.py    the command line
"""
from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    from .command import main as run

    return run(argv)

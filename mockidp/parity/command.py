"""`mockidp parity PATH... [--json OUT] [--ledger FILE] [--update-ledger] [--url URL]`: the
command line of the replayer. Exit status: 0, 1 when a ledgered interaction no longer matches,
2 when the command cannot run (no cassettes, unreachable --url, unreadable ledger)."""
from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from time import perf_counter
from typing import Iterator

from . import ledger as ledgers
from .cassettes import Cassette, CassetteError, find_cassettes, load_cassette
from .replay import Result, replay_all
from .report import tables, write_json
from .transport import MockIdPConnection, TransportError

OK, REGRESSED, CANNOT_RUN = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockidp parity",
        description="Replay recorded Auth0 traffic (go-vcr cassettes) against mockidp and report "
                    "where its answers differ (status, keys). See docs/parity.md.")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="a cassette, or a directory searched recursively for *.yaml")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every interaction's result here")
    parser.add_argument("--ledger", type=Path, metavar="FILE",
                        help="fail (exit 1) when an interaction this ledger lists no longer matches")
    parser.add_argument("--update-ledger", action="store_true",
                        help="rewrite --ledger FILE with this run's matches instead of checking it")
    parser.add_argument("--url", help="replay against this running mockidp (it is reset per "
                                      "cassette) instead of one started in-process")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.update_ledger and not args.ledger:
        parser.error("--update-ledger needs --ledger FILE")
    try:
        cassettes = _load(args.paths)
        previous = _previous_ledger(args)
        started = perf_counter()
        with _mockidp(args.url) as connection:
            results = list(replay_all(connection, cassettes))
        seconds = perf_counter() - started
    except (CassetteError, ledgers.LedgerError, TransportError) as exc:
        print(f"mockidp parity: {exc}", file=sys.stderr)
        return CANNOT_RUN
    print(tables(results))
    print(f"\nreplayed {len(cassettes)} cassettes, {len(results)} interactions in {seconds:.1f} s")
    if args.json:
        write_json(args.json, results, seconds)
    return _ledger_step(args, previous, results)


def _load(paths: list[Path]) -> list[Cassette]:
    """Every cassette under `paths`; a .yaml file that is not a cassette is skipped, said aloud."""
    cassettes = []
    for file, name in find_cassettes(paths):
        try:
            cassettes.append(load_cassette(file, name))
        except CassetteError as exc:
            print(f"mockidp parity: skipped {exc}", file=sys.stderr)
    if not cassettes:
        raise CassetteError(f"no cassettes under {', '.join(map(str, paths))}")
    return cassettes


def _previous_ledger(args: argparse.Namespace) -> ledgers.Ledger | None:
    if not args.ledger:
        return None
    if args.update_ledger and not args.ledger.exists():
        return ledgers.Ledger.empty()
    return ledgers.load(args.ledger)


def _ledger_step(args: argparse.Namespace, previous: ledgers.Ledger | None, results: list[Result]) -> int:
    if previous is None:
        return OK
    if args.update_ledger:
        ledgers.save(args.ledger, ledgers.updated(previous, results))
        print(f"ledger {args.ledger} updated")
        return OK
    verdict = ledgers.judge(previous, results)
    message = ledgers.describe(verdict)
    if message:
        print(message)
    if verdict.failed:
        print(f"mockidp parity: {ledgers.regressed(verdict)} ledgered interaction(s) no longer "
              f"match ({args.ledger})", file=sys.stderr)
        return REGRESSED
    return OK


@contextmanager
def _mockidp(url: str | None) -> Iterator[MockIdPConnection]:
    """A connection to the mockidp at `url`, or to one started here for the run."""
    server = None
    if url is None:
        from ..core.fixtures.files import DEFAULT_FIXTURE, FixtureDocument
        from ..runtime import MockIdP  # the replayer's own server: default fixtures, any free port

        # The recordings come from a tenant created before Auth0 retired Rules and Hooks, so
        # the replay's tenant is one too (docs/parity.md).
        recording_tenant = FixtureDocument("parity: the recording tenant", {"mockidp": {"rules_and_hooks": True}})
        server = MockIdP(fixtures=[DEFAULT_FIXTURE, recording_tenant]).start()
        url = server.url_for("http")
    connection = MockIdPConnection(url)
    try:
        yield connection
    finally:
        connection.close()
        if server is not None:
            server.stop()

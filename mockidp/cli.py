"""`mockidp serve` and `mockidp ca-bundle`. Every serve option also reads a MOCKIDP_* variable."""
from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from . import __version__

BANNER = "mockidp {version}: a MOCK of Auth0 for local testing. Not an identity provider; never use it in production. It sends no real email."


def _env(name: str, default=None):
    return os.environ.get(f"MOCKIDP_{name}", default)


FLAG_WORDS = {"1": True, "true": True, "yes": True, "on": True,
              "0": False, "false": False, "no": False, "off": False, "": False}


def _env_flag(name: str) -> bool:
    value = str(_env(name, "")).strip().lower()
    if value not in FLAG_WORDS:
        raise UsageError(f"MOCKIDP_{name}={_env(name)!r} is not a flag: use 1/true/yes/on or 0/false/no/off")
    return FLAG_WORDS[value]


class UsageError(Exception):
    """A misuse of the command line or of a MOCKIDP_* variable: one line, exit status 2."""


def _checked(name: str, convert, accept, expected: str):
    """An argparse type whose error names the option, its MOCKIDP_* variable and what is expected
    (argparse also applies it to the string defaults read from the environment)."""
    def parse(text: str):
        try:
            value = convert(text)
        except (TypeError, ValueError):
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"{text!r} (from --{name} or MOCKIDP_{name.upper().replace('-', '_')}) "
                                             f"is not {expected}")
        return value
    parse.__name__ = name
    return parse


PORT = _checked("port", int, lambda n: 0 <= n <= 65535, "a port number from 0 to 65535")
TLS_PORT = _checked("tls-port", int, lambda n: 0 <= n <= 65535, "a port number from 0 to 65535")
THREADS = _checked("threads", int, lambda n: 1 <= n <= 1024, "a number of threads from 1 to 1024")
SEED = _checked("seed", int, lambda n: True, "an integer")


def _port_range(text: str):
    # The listeners module loads with the runtime anyway; only --tenant-ports needs it this early.
    from .listeners import parse_port_range

    return parse_port_range(text)


TENANT_PORTS = _checked("tenant-ports", _port_range, lambda ports: True, "a port range such as 9100-9199")
EMAIL_DELAY = _checked("email-delay", float, lambda x: 0 <= x < float("inf"),
                       "a number of seconds (0 or more)")


def _env_paths(name: str) -> list[Path]:
    value = _env(name)
    return [Path(p) for p in value.split(os.pathsep) if p] if value else []


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockidp", description="A local, deterministic stand-in for Auth0.")
    parser.add_argument("--version", action="version", version=f"mockidp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the Management API, Authentication API and outbox")
    serve.add_argument("--host", default=_env("HOST", "127.0.0.1"),
                       help="interface to bind (MOCKIDP_HOST; default 127.0.0.1, the container uses 0.0.0.0)")
    serve.add_argument("--port", type=PORT, default=_env("PORT", "8080"), help="HTTP port (MOCKIDP_PORT; 0 = any free port)")
    serve.add_argument("--fixtures", type=Path, action="append", default=None,
                       help="fixture file, repeatable; replaces the default fixture (MOCKIDP_FIXTURES, os.pathsep-separated)")
    serve.add_argument("--seed", type=SEED, default=_env("SEED"),
                       help="seed of the tenant's random source (MOCKIDP_SEED; default: the fixture's, else 0)")
    serve.add_argument("--tls", action="store_true", default=None,
                       help="also serve HTTPS with a certificate from mockidp's local CA (MOCKIDP_TLS)")
    serve.add_argument("--tls-port", type=TLS_PORT, default=_env("TLS_PORT", "8443"), help="HTTPS port (MOCKIDP_TLS_PORT)")
    serve.add_argument("--cert-dir", type=Path, default=_env("CERT_DIR"),
                       help="where the CA and certificates are kept (MOCKIDP_CERT_DIR; default ~/.cache/mockidp/certs)")
    serve.add_argument("--public-url", default=_env("PUBLIC_URL"),
                       help="base URL clients use, e.g. behind a container host name (MOCKIDP_PUBLIC_URL); sets the issuer")
    serve.add_argument("--allowed-host", action="append", dest="allowed_hosts",
                       default=[h for h in (_env("ALLOWED_HOSTS") or "").split(",") if h.strip()],
                       help="a host name, besides loopback names and the --public-url host, that may use "
                            "the control plane and appear in emailed links; repeatable "
                            "(MOCKIDP_ALLOWED_HOSTS, comma-separated)")
    serve.add_argument("--control-token", default=_env("CONTROL_TOKEN"),
                       help="require 'Authorization: Bearer <token>' on /_mock (MOCKIDP_CONTROL_TOKEN; "
                            "the pytest plugin sends it)")
    serve.add_argument("--tenant-ports", type=TENANT_PORTS, default=_env("TENANT_PORTS"),
                       help="ports for tenants' own listeners, e.g. 9100-9199 (MOCKIDP_TENANT_PORTS); with it every "
                            "new tenant gets one (HTTP, plus HTTPS with --tls) unless created with "
                            '"listener": false; without it "listener": true takes any free port')
    serve.add_argument("--threads", type=THREADS, default=_env("THREADS", "16"), help="worker threads per listener (MOCKIDP_THREADS)")
    serve.add_argument("--latency", default=_env("LATENCY"),
                       help='injected latency (MOCKIDP_LATENCY): milliseconds for every route, e.g. 200, or the '
                            '/_mock/settings "latency" section as JSON; overrides the fixture\'s mockidp.latency')
    serve.add_argument("--email-delivery", choices=("immediate", "delayed", "manual"), default=_env("EMAIL_DELIVERY"),
                       help="when queued emails reach the outbox (MOCKIDP_EMAIL_DELIVERY; default immediate)")
    serve.add_argument("--email-delay", type=EMAIL_DELAY, default=_env("EMAIL_DELAY"),
                       help="seconds of the tenant clock before a queued email is delivered; implies "
                            "--email-delivery delayed (MOCKIDP_EMAIL_DELAY)")
    serve.add_argument("--email-render", choices=("delivery", "enqueue"), default=_env("EMAIL_RENDER"),
                       help="render emails with the user and template as at delivery (default) or as "
                            "when queued (MOCKIDP_EMAIL_RENDER)")
    serve.add_argument("--state", type=Path, default=_env("STATE"),
                       help="start the default tenant from a state document saved from GET /_mock/state "
                            "(MOCKIDP_STATE); reset returns to it")
    serve.add_argument("--journal-size", type=int, default=int(_env("JOURNAL_SIZE", 1000)),
                       help="requests each tenant's journal keeps, newest last (MOCKIDP_JOURNAL_SIZE; 0 = off)")
    serve.add_argument("--journal-bytes", type=int, default=int(_env("JOURNAL_BYTES", 8 * 1024 * 1024)),
                       help="and at most this many bytes of their bodies, oldest dropped first "
                            "(MOCKIDP_JOURNAL_BYTES; default 8 MiB; 0 = no byte bound)")
    serve.add_argument("--quiet", action="store_true", default=_env_flag("QUIET"),
                       help="print no access-log line per request (MOCKIDP_QUIET)")
    bundle = commands.add_parser("ca-bundle", help="print the path of a CA bundle (public roots + mockidp's CA)")
    bundle.add_argument("--cert-dir", type=Path, default=_env("CERT_DIR"))
    commands.add_parser("parity", add_help=False, help="replay recorded Auth0 traffic against mockidp (docs/parity.md)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["parity"]:  # all its options are its own parser's (mockidp.parity.command)
        from .parity import main as parity_main

        return parity_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "ca-bundle":
        from .tls import ca_bundle_path, default_cert_dir

        print(ca_bundle_path(args.cert_dir or default_cert_dir()))
        return 0
    try:
        if args.tls is None:
            args.tls = _env_flag("TLS")
        return serve(args)
    except UsageError as exc:
        print(f"mockidp: {exc}", file=sys.stderr)
        return 2


def serve(args: argparse.Namespace) -> int:
    _fewer_malloc_arenas()
    with _no_cyclic_gc():
        mock = _build(args)
    if mock is None:
        return 2
    if not args.quiet:
        mock.log_requests(_access_printer())
    try:
        mock.start()
    except OSError as exc:  # port in use, unknown host: every listener is closed again
        print(f"mockidp: cannot listen on {args.host}: {exc.strerror or exc}", file=sys.stderr)
        mock.stop()
        return 2
    print(startup_banner(mock), flush=True)
    _wait_for_signal()
    mock.stop()
    return 0


def _access_printer():
    """Prints one line per request (from the tenant's journal entry), whole lines only."""
    from .api.harness.journal import access_line

    lock = threading.Lock()

    def printer(entry: dict) -> None:
        with lock:
            print(access_line(entry), flush=True)

    return printer


def _fewer_malloc_arenas() -> None:
    """glibc gives every thread that allocates a heap of its own (an "arena", up to 8 per core).
    The server's ~19 threads each fragmented theirs, so RSS kept rising over a 100,000-request
    soak while Python's own memory (tracemalloc) stayed flat; two arenas keep it flat
    (bench/README.md, the soak). MALLOC_ARENA_MAX in the environment still decides; without
    glibc (macOS) this does nothing. Before any thread starts, so no arena is made before it."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        import ctypes  # only here: the one use, and ~2 ms of import on start-up otherwise

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(-8, 2)  # M_ARENA_MAX from glibc's malloc.h


@contextmanager
def _no_cyclic_gc():
    """Start-up only creates objects that live as long as the server (modules, routes, the
    tenant), so cyclic collections during it free nothing; pausing them saves ~10 ms of start-up.
    Freezing what start-up made then keeps it out of every later collection too."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _build(args: argparse.Namespace):
    """The MockIdP the options describe, or None after saying why it cannot start."""
    from .core.tenant.errors import FixtureError
    from .core.tenant.statefile import StateError
    from .runtime import MockIdP

    fixtures = args.fixtures or _env_paths("FIXTURES") or None
    latency = _startup_latency(args.latency)
    if latency is False:
        return None
    state = _startup_state(args.state)
    if state is False:
        return None
    try:
        return MockIdP(fixtures=fixtures, seed=args.seed, host=args.host, port=args.port,
                       tls=args.tls, tls_port=args.tls_port, cert_dir=args.cert_dir,
                       public_url=args.public_url, threads=args.threads, latency=latency,
                       email=_startup_email(args), control_token=args.control_token,
                       allowed_hosts=tuple(h.strip() for h in args.allowed_hosts),
                       state=state, journal_size=max(args.journal_size, 0),
                       journal_bytes=max(args.journal_bytes, 0), tenant_ports=args.tenant_ports)
    except FixtureError as exc:
        print(f"mockidp: invalid fixture: {exc}", file=sys.stderr)
    except StateError as exc:
        print(f"mockidp: invalid --state {args.state}: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"mockidp: cannot start: {exc}", file=sys.stderr)
    return None


def _startup_state(path: Path | None):
    """The parsed --state document, None if not given, False (after saying why) if unreadable."""
    if path is None:
        return None
    import json

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"mockidp: cannot read --state {path}: {exc.strerror or exc}", file=sys.stderr)
    except ValueError as exc:
        print(f"mockidp: invalid --state {path}: not JSON: {exc}", file=sys.stderr)
    return False


def _startup_latency(text: str | None):
    """The parsed --latency value, None if not given, False (after saying why) if invalid."""
    if text is None:
        return None
    from .core.tenant.errors import ControlError
    from .core.traffic.latency import parse_startup_value

    try:
        return parse_startup_value(text)
    except ControlError as exc:
        print(f"mockidp: invalid --latency: {exc.message}", file=sys.stderr)
        return False


def _startup_email(args: argparse.Namespace) -> dict:
    """The --email-* options as a mockidp.email fixture section (checked when the tenant is built)."""
    email = {}
    if args.email_delay is not None:
        email.update(delivery="delayed", delay_seconds=args.email_delay)
    if args.email_delivery:
        email["delivery"] = args.email_delivery
    if args.email_render:
        email["render"] = args.email_render
    return email


def startup_banner(mock) -> str:
    lines = [BANNER.format(version=__version__), ""]
    for url in mock.urls:
        lines.append(f"  listening   {url}")
    for url in mock.urls:
        issuer = (mock.public_url or url).rstrip("/") + "/"
        lines.append(f"  issuer      {issuer}")
    if mock.tenant_listeners.port_range:
        lines.append(f"  tenants     own ports from {mock.tenant_listeners.port_range}"
                     "   (POST /_mock/tenants gives each new tenant a listener)")
    if mock.ca_file:
        lines.append(f"  CA file     {mock.ca_file}   (trust it, or use `mockidp ca-bundle`)")
    lines.append("  clients:")
    for client in mock.tenant.directory.clients.values():
        if client.get("global"):
            continue  # "All Applications" is Auth0's, not one a user configured
        lines.append(f"    {client['client_id']}  {client.get('app_type', '-'):16} {client['name']}")
    lines.append(f"  outbox      {(mock.public_url or mock.urls[0]).rstrip('/')}/_mock/outbox.html"
                 f"   (email delivery: {mock.tenant.mailroom.settings.delivery})")
    guarded = "; needs the control token" if mock.control_token else ""
    lines.append(f"  control     /_mock/health, /_mock/reset, /_mock/clock{guarded}   (Ctrl-C to stop)")
    return "\n".join(lines)


def _wait_for_signal() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(3600):
        pass

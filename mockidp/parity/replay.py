"""Replaying cassettes against mockidp: each cassette on a fresh tenant, each interaction sent
with the recorder's rewrites undone (recording.py), its placeholders made live (world.py) and
recorded ids replaced by live ones (idmap.py), then compared and classified (compare.py).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from . import compare, recording
from .cassettes import Cassette, Recorded
from .dependence import History
from .idmap import IdMap, path_template
from .transport import LiveResponse, MockIdPConnection
from .world import ReplayWorld

_EXCERPT_CHARS = 300
_EXPLAINED = (compare.MISMATCH_STATUS, compare.SERVER_ERROR)


@dataclass
class Result:
    """One interaction's outcome, as the JSON report and the ledger record it."""

    cassette: str
    index: int
    api: str  # "management" or "authentication"
    method: str
    path: str  # as recorded (recorded ids, no query)
    family: str  # METHOD + path template
    recorded_status: int
    live_status: int | None
    classification: str
    differences: list[str] = field(default_factory=list)  # top-level keys (they classify)
    nested_differences: list[str] = field(default_factory=list)
    live_excerpt: str = ""  # the start of mockidp's answer when its status differs: the why
    depends_on: str = ""  # why it depends on the recording tenant (dependence.REASONS); "" if not

    @property
    def self_contained(self) -> bool:
        return not self.depends_on

    @property
    def key(self) -> str:
        """The interaction's name in the ledger."""
        return f"{self.cassette}#{self.index}"

    @property
    def status_matches(self) -> bool:
        return self.classification in (compare.MATCH, compare.STATUS_ONLY)

    @property
    def fully_matches(self) -> bool:
        return self.classification == compare.MATCH

    def as_json(self) -> dict:
        return asdict(self)


def replay_all(connection: MockIdPConnection, cassettes: Iterable[Cassette]) -> Iterator[Result]:
    for cassette in cassettes:
        yield from replay_cassette(connection, cassette)


def replay_cassette(connection: MockIdPConnection, cassette: Cassette) -> list[Result]:
    connection.fresh_tenant()
    ids, history, world = IdMap(), History(), ReplayWorld(connection)
    return [_replay_one(connection, cassette.name, index, recorded, ids, history, world)
            for index, recorded in enumerate(cassette.interactions)]


def _replay_one(connection: MockIdPConnection, cassette: str, index: int, recorded: Recorded,
                ids: IdMap, history: History, world: ReplayWorld) -> Result:
    url = urlsplit(recorded.url)
    family = f"{recorded.method} {path_template(url.path, ids)}"  # before this exchange teaches ids
    depends_on = history.judge(recorded, url.path, url.query, ids) or ""
    live = _send(connection, recorded, ids, world)
    recorded_body = compare.parse_body(recorded.response_body)
    if 200 <= recorded.status < 300:
        history.remember(recorded_body)
    live_body = compare.parse_body(live.body)
    rewrite = recording.body_rewrite(recorded.method, url.path, url.query, recorded.status,
                                     recorded.response_content_type)
    top, nested = compare.key_differences(recorded_body, live_body, rewrite.reserialized,
                                          rewrite.written_keys, rewrite.newer_keys)
    if rewrite.fabricated:
        top, nested = [], []
    if live.status is not None and 200 <= live.status < 300 and 200 <= recorded.status < 300:
        ids.learn(recorded_body, live_body)
    classification = compare.classify(recorded.status, live.status, live_body, recorded_body, top)
    if classification in (compare.SERVER_ERROR, compare.NOT_FOUND_ROUTE):
        top, nested = [], []  # the shape of an error page is not news
    excerpt = live.body[:_EXCERPT_CHARS] if classification in _EXPLAINED else ""
    return Result(cassette, index, "management" if recording.is_management(url.path) else "authentication",
                  recorded.method, url.path, family, recorded.status, live.status, classification,
                  top, nested, excerpt, depends_on)


def _send(connection: MockIdPConnection, recorded: Recorded, ids: IdMap, world: ReplayWorld) -> LiveResponse:
    """The recorded request, sent to mockidp with its placeholders made live, recorded values
    restored and ids replaced."""
    live = world.live_request(recorded)
    url = urlsplit(recorded.url)
    restore = lambda value: recording.restore_value(value, connection.base_url)  # noqa: E731
    target = ids.path(url.path)
    query = ids.query(url.query, restore)
    if query:
        target += f"?{query}"
    body = ids.body(live.body, recorded.content_type, restore)
    return connection.send(recorded.method, target, body, recorded.content_type,
                           bearer=recording.needs_management_token(url.path), authorization=live.authorization)

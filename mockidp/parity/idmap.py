"""Id mapping: the one place that decides what an id is, learns which live id stands for each
recorded one, and rewrites recorded ids in later requests.

The recording tenant and mockidp generate different ids for the same objects. After each
exchange, the recorded and the live response bodies are walked side by side; wherever both hold a
string under an id-like key at the same JSON path (`id`, `_id`, `kid`, `*_id`: `user_id`, `themeId`,
`client_id`, `connection_id`, `resource_server_id`, ...), and the recorded one looks like a
generated id, the pair is learnt. Later request paths (segment by segment, url-decoded), query
values and JSON or form values have every learnt recorded id replaced by its live id (longest
first, so `auth0|63d...` wins over its bare `63d...`; a bare id inside a longer string is
replaced too, which turns `auth0|<recorded>` into `auth0|<live>`).

Lists are walked element by element only when both have the same length: a list of different
length (the tenants hold different objects) pairs nothing rather than pairing wrongly. The first
pair learnt for a recorded id wins, and a live id stands for one recorded id only.
Cassettes hold no response headers, so there is no `Location` to learn from.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator
from urllib.parse import parse_qsl, quote, unquote, urlencode

ID_KEY = re.compile(r"^(?:_?id|kid|.+_id|[a-z]+Id)$")  # themeId: camelCase too
_PREFIXED_ID = re.compile(r"^[a-z]{2,6}_[A-Za-z0-9]{6,}$")  # con_…, cgr_…, rol_…, org_…
_HAS_DIGIT_OR_UPPER = re.compile(r"[0-9A-Z]")


def looks_like_id(text: str) -> bool:
    """A path segment or value that is an object's identifier rather than a word of the API:
    `auth0|63d…`, `con_0Ajk…`, UUIDs, client ids, `1.1.1.1`, test names such as `UserID`; not
    `users`, `post-login`, `verify_email` or `en`."""
    if "|" in text or _PREFIXED_ID.match(text):
        return True
    return len(text) >= 6 and bool(_HAS_DIGIT_OR_UPPER.search(text))


def path_template(path: str, known_ids: "IdMap | None" = None) -> str:
    """A path with its id segments as `{id}`: `/api/v2/users/auth0%7C63d…/roles` →
    `/api/v2/users/{id}/roles`. Segments are judged on their own (looks_like_id) or because the
    cassette learnt them as ids."""
    segments = []
    for raw in path.split("/"):
        segment = unquote(raw)
        is_id = looks_like_id(segment) or (known_ids is not None and segment in known_ids)
        segments.append("{id}" if is_id else raw)
    return "/".join(segments)


class IdMap:
    """Recorded id → live id, for one cassette."""

    def __init__(self) -> None:
        self._live: dict[str, str] = {}
        self._taken: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def __contains__(self, recorded: str) -> bool:
        return recorded in self._live

    def __len__(self) -> int:
        return len(self._live)

    def as_dict(self) -> dict[str, str]:
        return dict(self._live)

    def learn(self, recorded_body: Any, live_body: Any) -> None:
        for recorded, live in _id_pairs(recorded_body, live_body):
            if recorded != live and recorded not in self._live and live not in self._taken \
                    and looks_like_id(recorded):
                self._live[recorded] = live
                self._taken.add(live)
                self._pattern = None

    # --- substitution ----------------------------------------------------------------------

    def text(self, text: str) -> str:
        """`text` with every learnt recorded id replaced by its live id."""
        if not self._live:
            return text
        if self._pattern is None:
            ids = sorted(self._live, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(recorded) for recorded in ids))
        return self._pattern.sub(lambda match: self._live[match.group()], text)

    def path(self, path: str) -> str:
        """A URL path with ids replaced segment by segment (decoded, then re-encoded)."""
        return "/".join(self._segment(segment) for segment in path.split("/"))

    def _segment(self, raw: str) -> str:
        decoded = unquote(raw)
        replaced = self.text(decoded)
        return raw if replaced == decoded else quote(replaced, safe="")

    def query(self, query: str, restore=lambda value: value) -> str:
        """A query string with `restore` then id substitution applied to each value."""
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        rewritten = [(key, self.text(restore(value))) for key, value in pairs]
        return query if rewritten == pairs else urlencode(rewritten, quote_via=quote)

    def json_value(self, value: Any, restore=lambda text: text) -> Any:
        """A JSON document with `restore` then id substitution applied to every string in it."""
        if isinstance(value, str):
            return self.text(restore(value))
        if isinstance(value, list):
            return [self.json_value(item, restore) for item in value]
        if isinstance(value, dict):
            return {key: self.json_value(item, restore) for key, item in value.items()}
        return value

    def body(self, body: str, content_type: str, restore=lambda text: text) -> str:
        """A recorded request body with recorded values restored and ids substituted; a body
        this cannot parse (malformed JSON) is sent as recorded. A multipart body (a user import)
        has its ids substituted as text: the parts' values (connection_id) and the uploaded file
        are where ids are, and a recorded boundary is no id."""
        if not body:
            return body
        if content_type.startswith("application/json"):
            try:
                document = json.loads(body)
            except ValueError:
                return body
            return json.dumps(self.json_value(document, restore), separators=(",", ":"))
        if content_type.startswith("application/x-www-form-urlencoded"):
            return self.query(body, restore)
        if content_type.startswith("multipart/form-data"):
            return self.text(body)
        return body


def _id_pairs(recorded: Any, live: Any) -> Iterator[tuple[str, str]]:
    """(recorded, live) string pairs under id-like keys at the same JSON path."""
    if isinstance(recorded, dict) and isinstance(live, dict):
        for key, recorded_value in recorded.items():
            if key not in live:
                continue
            live_value = live[key]
            if ID_KEY.match(key) and isinstance(recorded_value, str) and isinstance(live_value, str):
                yield recorded_value, live_value
            else:
                yield from _id_pairs(recorded_value, live_value)
    elif isinstance(recorded, list) and isinstance(live, list) and len(recorded) == len(live):
        for recorded_item, live_item in zip(recorded, live):
            yield from _id_pairs(recorded_item, live_item)

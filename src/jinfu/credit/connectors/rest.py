"""The REST pull adapter (standard library HTTP client, ``urllib.request``).

Configured per source (:class:`jinfu.credit.models.ConnectorConfig` or a plain dict): the endpoint,
an auth header whose value comes from an environment variable (secrets are not stored), a field map
(source field → our field), the key holding the records, paging (``page``: ``?page=N&size=M`` until a
short page; ``next``: follow the ``next`` link in the body), a timeout and retries with exponential
backoff on HTTP 5xx, 429 and timeouts. Any failure (HTTP error after retries, malformed JSON, records
lacking mapped fields) fails the whole batch: nothing is applied.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

MAX_PAGES = 10_000


class PullFailed(Exception):
    def __init__(self, rule: str, message_zh: str, message_en: str):
        super().__init__(f"{message_zh} / {message_en}")
        self.rule, self.message_zh, self.message_en = rule, message_zh, message_en

    def as_problem(self) -> dict:
        return {
            "row": 0,
            "column": "",
            "field": "",
            "value": "",
            "rule": self.rule,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass
class RestConfig:
    endpoint: str
    field_map: dict[str, str] = field(default_factory=dict)  # source field → our field
    auth_header: str = "Authorization"
    auth_value: str = ""
    records_path: str = "data"
    paging: str = "page"  # page | next | none
    page_size: int = 500
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5

    @classmethod
    def from_model(cls, c) -> RestConfig:
        return cls(
            endpoint=c.endpoint,
            field_map=c.field_map or {},
            auth_header=c.auth_header,
            auth_value=os.environ.get(c.auth_env, "") if c.auth_env else "",
            records_path=c.records_path,
            paging=c.paging,
            page_size=c.page_size,
            timeout=c.timeout,
            retries=c.retries,
            backoff=c.backoff,
        )


def _get(url: str, cfg: RestConfig, sleep=time.sleep) -> Any:
    """GET and parse JSON, retrying 5xx/429/timeouts/connection errors with exponential backoff."""
    headers = {"Accept": "application/json", "User-Agent": "jinfu-credit/1"}
    if cfg.auth_header and cfg.auth_value:
        headers[cfg.auth_header] = cfg.auth_value
    last = ""
    for attempt in range(cfg.retries + 1):
        if attempt:
            sleep(cfg.backoff * 2 ** (attempt - 1))
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=cfg.timeout
            ) as r:
                body = r.read()
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code >= 500 or exc.code == 429:
                continue
            raise PullFailed(
                "rest.http", f"接口请求失败：{last}（{url}）", f"request failed: {last} ({url})"
            ) from None
        except TimeoutError as exc:
            last = f"timeout after {cfg.timeout}s ({exc})"
            continue
        except urllib.error.URLError as exc:
            last = f"{exc.reason}"
            if isinstance(exc.reason, (TimeoutError, socket.timeout, ConnectionError, OSError)):
                continue
            raise PullFailed("rest.http", f"接口请求失败：{last}", f"request failed: {last}") from None
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PullFailed(
                "rest.malformed",
                f"接口返回内容不是有效的 JSON：{exc}（{url}）",
                f"malformed JSON: {exc} ({url})",
            ) from None
    raise PullFailed(
        "rest.http",
        f"接口请求失败，已重试 {cfg.retries} 次：{last}（{url}）",
        f"request failed after {cfg.retries} retries: {last} ({url})",
    )


def _with_params(url: str, **params) -> str:
    parts = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(parts.query))
    q.update({k: str(v) for k, v in params.items()})
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))


def _records(body: Any, cfg: RestConfig, url: str) -> list:
    recs = body.get(cfg.records_path) if isinstance(body, dict) else body if not cfg.records_path else None
    if not isinstance(recs, list):
        raise PullFailed(
            "rest.malformed",
            f"接口返回中没有记录列表「{cfg.records_path}」（{url}）",
            f"the response has no record list '{cfg.records_path}' ({url})",
        )
    return recs


def fetch(cfg: RestConfig, sleep=time.sleep) -> list[dict]:
    """Every record of every page, as returned by the endpoint."""
    out: list[dict] = []
    if cfg.paging == "page":
        for page in range(1, MAX_PAGES + 1):
            url = _with_params(cfg.endpoint, page=page, size=cfg.page_size)
            recs = _records(_get(url, cfg, sleep), cfg, url)
            out.extend(recs)
            if len(recs) < cfg.page_size:
                break
    elif cfg.paging == "next":
        url: str | None = cfg.endpoint
        for _ in range(MAX_PAGES):
            body = _get(url, cfg, sleep)
            out.extend(_records(body, cfg, url))
            nxt = body.get("next") if isinstance(body, dict) else None
            if not nxt:
                break
            url = urllib.parse.urljoin(url, nxt)
    else:
        out.extend(_records(_get(cfg.endpoint, cfg, sleep), cfg, cfg.endpoint))
    return out


def map_records(recs: list, cfg: RestConfig, required: list[str]) -> list[tuple[int, dict]]:
    """Rename source fields to ours; a record missing a mapped required field fails the pull."""
    mapping = cfg.field_map or {f: f for f in required}
    ours = set(mapping.values())
    absent = [f for f in required if f not in ours and f not in mapping]
    rows = []
    for i, r in enumerate(recs, start=1):
        if not isinstance(r, dict):
            raise PullFailed("rest.malformed", f"第 {i} 条记录不是对象", f"record {i} is not an object")
        row = {mapping.get(k, k): v for k, v in r.items()}
        lacking = [f for f in required if f not in row] if not absent else absent
        if lacking:
            src = {v: k for k, v in mapping.items()}
            names = ", ".join(src.get(f, f) for f in lacking)
            raise PullFailed(
                "rest.missing_field", f"第 {i} 条记录缺少字段：{names}", f"record {i} lacks field(s): {names}"
            )
        rows.append((i, row))
    return rows

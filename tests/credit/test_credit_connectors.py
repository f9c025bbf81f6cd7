"""Credit connectors: the file templates (row-level errors, nothing applied) and the REST pull adapter
against a real HTTP server on 127.0.0.1 (paging, slow, 500-then-200, malformed JSON)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from jinfu.credit import models as m
from jinfu.credit import services
from jinfu.credit.connectors.rest import RestConfig

USCC = "91500103MA5UCRED01"


@pytest.fixture
def ent(make_user):
    u = make_user("enterprise")
    u.organization.uscc = USCC
    u.organization.save()
    return u.organization


def csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_tax_file_applies_and_refreshes_features(ent):
    b = services.import_file(
        "tax",
        csv(f"统一社会信用代码,年度,纳税信用等级,纳税额（万元）\n{USCC},2024,B,10\n{USCC},2025,a,12.5\n"),
        "tax.csv",
        source_system="重庆市税务局",
    )
    assert b.status == "applied", b.errors
    assert b.rows == 2
    rec = m.TaxRecord.objects.get(enterprise=ent, year=2025)
    assert rec.credit_grade == "A" and rec.source_system == "重庆市税务局" and rec.batch == b
    snap = m.FeatureSnapshot.objects.get(pk=ent.pk)
    assert snap.values["tax_grade"] in ("A", "B")  # depends on the current year; latest complete year wins


@pytest.mark.parametrize(
    "source,text,rule,column",
    [
        ("tax", "统一社会信用代码,年度\n{u},2024\n", "file.wrong_template", ""),
        (
            "tax",
            "统一社会信用代码,年度,纳税信用等级,纳税额（万元）\n91500103MA5UNKNOWN,2024,A,1\n",
            "enterprise.unknown",
            "统一社会信用代码",
        ),
        (
            "tax",
            "统一社会信用代码,年度,纳税信用等级,纳税额（万元）\n{u},2024,E,1\n",
            "code.unknown_choice",
            "纳税信用等级",
        ),
        (
            "social_insurance",
            "统一社会信用代码,月份,参保人数\n{u},2025-01,-3\n",
            "range.negative",
            "参保人数",
        ),
        (
            "tax",
            "统一社会信用代码,年度,纳税信用等级,纳税额（万元）\n{u},2024,A,1\n{u},2024,B,2\n",
            "duplicate.period",
            "年度",
        ),
    ],
)
def test_bad_files_apply_nothing(ent, source, text, rule, column):
    ok_row = f"统一社会信用代码,年度,纳税信用等级,纳税额（万元）\n{USCC},2023,A,1\n"
    if source == "tax" and rule != "file.wrong_template":
        text = text + f"{USCC},2023,A,1\n"  # a valid row in the same file is not applied either
    b = services.import_file(source, csv(text.format(u=USCC)), "x.csv", source_system="t")
    assert b.status == "failed"
    rules = [e["rule"] for e in b.errors]
    assert rule in rules
    e = next(e for e in b.errors if e["rule"] == rule)
    assert e["column"] == column
    assert e["message_zh"] and e["message_en"]
    if e["row"]:
        assert f"第 {e['row']} 行" in e["message_zh"] and f"row {e['row']}" in e["message_en"]
    assert not m.TaxRecord.objects.exists() and not m.SocialInsuranceRecord.objects.exists()
    assert ok_row  # documented: nothing of a failed batch is applied
    assert m.SourceBatch.objects.get(pk=b.pk).status == "failed"


# ---------------------------------------------------------------------------
# REST adapter against a real HTTP server
# ---------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    calls: dict[str, int] = {}

    def log_message(self, *a):
        pass

    def _json(self, code, body):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        Handler.calls[u.path] = Handler.calls.get(u.path, 0) + 1
        n = Handler.calls[u.path]
        if self.headers.get("X-Token") != "secret":
            return self._json(401, {"error": "auth"})
        rows = [
            {"nsrsbh": USCC, "nd": str(y), "xydj": "A" if y % 2 else "B", "jnse": 10 + y % 7}
            for y in range(2016, 2026)
        ]
        if u.path == "/paged":
            page, size = int(q["page"]), int(q["size"])
            return self._json(200, {"data": rows[(page - 1) * size : page * size]})
        if u.path == "/next":
            start = int(q.get("start", 0))
            body = {"data": rows[start : start + 4]}
            if start + 4 < len(rows):
                body["next"] = f"/next?start={start + 4}"
            return self._json(200, body)
        if u.path == "/slow":
            time.sleep(0.6)
            return self._json(200, {"data": rows})
        if u.path == "/flaky":
            return self._json(500, {"error": "boom"}) if n == 1 else self._json(200, {"data": rows[:3]})
        if u.path == "/down":
            return self._json(503, {"error": "down"})
        if u.path == "/malformed":
            return self._json(200, b'{"data": [{"nsrsbh": ')
        if u.path == "/missing":
            return self._json(200, {"data": [{"nsrsbh": USCC, "nd": "2024"}]})
        return self._json(404, {})


@pytest.fixture
def server():
    Handler.calls = {}
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


FIELD_MAP = {"nsrsbh": "uscc", "nd": "year", "xydj": "credit_grade", "jnse": "tax_paid"}


def cfg(url, **kw):
    base = dict(
        endpoint=url,
        field_map=FIELD_MAP,
        auth_header="X-Token",
        auth_value="secret",
        page_size=3,
        timeout=2.0,
        retries=2,
        backoff=0.01,
    )
    base.update(kw)
    return RestConfig(**base)


def test_rest_pages_until_short_page(ent, server):
    b = services.pull_rest("tax", cfg(server + "/paged"), source_system="电子税务局接口")
    assert b.status == "applied", b.errors
    assert m.TaxRecord.objects.filter(enterprise=ent).count() == 10
    assert Handler.calls["/paged"] == 4  # 3 + 3 + 3 + 1


def test_rest_follows_next_links(ent, server):
    b = services.pull_rest("tax", cfg(server + "/next", paging="next"), source_system="s")
    assert b.status == "applied", b.errors
    assert b.rows == 10 and Handler.calls["/next"] == 3


def test_rest_retries_500_then_succeeds(ent, server):
    sleeps = []
    b = services.pull_rest(
        "tax", cfg(server + "/flaky", paging="none"), source_system="s", sleep=sleeps.append
    )
    assert b.status == "applied", b.errors
    assert Handler.calls["/flaky"] == 2 and sleeps == [0.01]
    assert b.rows == 3


def test_rest_5xx_exhausts_retries_with_backoff(ent, server):
    sleeps = []
    b = services.pull_rest(
        "tax", cfg(server + "/down", paging="none"), source_system="s", sleep=sleeps.append
    )
    assert b.status == "failed" and Handler.calls["/down"] == 3
    assert sleeps == [0.01, 0.02]  # exponential backoff
    assert "HTTP 503" in b.errors[0]["message_en"] and "重试 2 次" in b.errors[0]["message_zh"]
    assert not m.TaxRecord.objects.exists()


def test_rest_slow_endpoint_times_out_retries_and_fails(ent, server):
    b = services.pull_rest(
        "tax", cfg(server + "/slow", paging="none", timeout=0.2, retries=1), source_system="s"
    )
    assert b.status == "failed"
    assert Handler.calls["/slow"] == 2
    assert "timeout" in b.errors[0]["message_en"]
    assert not m.TaxRecord.objects.exists()


def test_rest_malformed_json_fails_and_applies_nothing(ent, server):
    b = services.pull_rest("tax", cfg(server + "/malformed", paging="none"), source_system="s")
    assert b.status == "failed" and b.errors[0]["rule"] == "rest.malformed"
    assert "JSON" in b.errors[0]["message_zh"]
    assert not m.TaxRecord.objects.exists()


def test_rest_missing_field_fails(ent, server):
    b = services.pull_rest("tax", cfg(server + "/missing", paging="none"), source_system="s")
    assert b.status == "failed" and b.errors[0]["rule"] == "rest.missing_field"
    assert "xydj" in b.errors[0]["message_en"]


def test_rest_auth_header_is_sent(ent, server):
    b = services.pull_rest("tax", cfg(server + "/paged", auth_value="wrong"), source_system="s")
    assert b.status == "failed" and "HTTP 401" in b.errors[0]["message_en"]


def test_rest_from_connector_config(ent, server, monkeypatch):
    monkeypatch.setenv("JINFU_TAX_TOKEN", "secret")
    m.ConnectorConfig.objects.create(
        source="tax",
        source_system="电子税务局",
        endpoint=server + "/paged",
        auth_header="X-Token",
        auth_env="JINFU_TAX_TOKEN",
        field_map=FIELD_MAP,
        page_size=5,
    )
    b = services.pull_configured("tax")
    assert b.status == "applied" and b.rows == 10

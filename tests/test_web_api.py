"""The HTTP API through Starlette's TestClient, on real on-disk indexes.

Each answer is compared with what the CLI's ``--json`` prints for the same request,
and every way a request can be wrong is sent once: each must answer 4xx with a JSON
error naming the problem, never a 500.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import searchcore
from searchcore.cli.main import cli
from searchcore.web import Limits, create_app
from searchcore.web.app import library_features

FEATURES = library_features()
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def client(news_index_path: Path):
    with TestClient(create_app(news_index_path)) as c:
        yield c


@pytest.fixture()
def writable(tmp_path: Path) -> Path:
    path = tmp_path / "index"
    with searchcore.create_index(path) as ix:
        ix.add([{"id": "a1", "title": "Cocoa harvest grows", "body": "Ivory Coast cocoa.",
                 "source": "Farm News", "published": "2024-01-15"}])
    return path


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def without_time(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "elapsed_ms"}


# -- the same shapes as the CLI ----------------------------------------------------------
def test_search_is_the_clis_json(client: TestClient, news_index_path: Path) -> None:
    r = client.get("/api/search", params={"q": "oil prices", "limit": 5, "page": 2,
                                          "sort": "newest", "match": "any"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    cli_doc = cli_json("search", "oil", "prices", "-n", "5", "-p", "2", "--sort", "newest",
                       "--any", "--json", "--index", str(news_index_path))
    assert without_time(r.json()) == without_time(cli_doc)
    assert r.json()["page"] == 2 and len(r.json()["hits"]) == 5


def test_filters_are_the_clis(client: TestClient, news_index_path: Path) -> None:
    r = client.get("/api/search", params=[("q", "*"), ("category", "sport"),
                                          ("category", "tech"), ("source", "BBC News"),
                                          ("snippets", "0")])
    cli_doc = cli_json("search", "*", "--category", "sport", "--category", "tech",
                       "--source", "BBC News", "--snippets", "0", "--json",
                       "--index", str(news_index_path))
    assert without_time(r.json()) == without_time(cli_doc)
    assert {c for h in r.json()["hits"] for c in h["category"]} <= {"sport", "tech"}


@pytest.mark.skipif(not FEATURES["language"], reason="the language filter has not landed")
def test_language_filter(client: TestClient) -> None:
    everything = client.get("/api/search", params={"q": "*"}).json()["total"]
    english = client.get("/api/search", params={"q": "*", "language": "en"})
    assert english.status_code == 200 and english.json()["total"] <= everything
    assert client.get("/api/search", params={"q": "*", "language": "xx-nonsense"}).status_code in (200, 400)


def test_date_filters(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "*", "since": "2024-04", "until": "2024-04"})
    assert r.status_code == 200
    assert [h["id"] for h in r.json()["hits"]] == ["seed"]


def test_article_is_show_json(client: TestClient, news_index_path: Path) -> None:
    r = client.get("/api/articles/seed")
    assert r.status_code == 200
    assert r.json() == cli_json("show", "seed", "--json", "--index", str(news_index_path))


def test_stats_is_index_stats_json(client: TestClient, news_index_path: Path) -> None:
    r = client.get("/api/stats")
    assert r.status_code == 200
    assert r.json() == cli_json("index", "stats", "--json", "--index", str(news_index_path))


def test_healthz(client: TestClient) -> None:
    doc = client.get("/healthz").json()
    assert doc["status"] == "ok" and doc["documents"] == 301 and doc["writes"] is False
    assert doc["generation"].startswith("gen-")
    assert doc["features"] == FEATURES and doc["limits"]["max_limit"] == 100


# -- bad input: 4xx, named, never a 500 --------------------------------------------------
@pytest.mark.parametrize("query, position", [('"oil', 0), ("oil AND", 4), ("(oil", 0),
                                             ("nosuchfield:oil", 0)])
def test_malformed_query_answers_400_with_position(client: TestClient, query: str,
                                                   position: int) -> None:
    r = client.get("/api/search", params={"q": query})
    assert r.status_code == 400
    doc = r.json()
    assert set(doc) == {"error", "position"} and doc["error"]
    assert isinstance(doc["position"], int) and 0 <= doc["position"] <= len(query)


@pytest.mark.parametrize("params, named", [
    ({}, "q is required"),
    ({"q": "  "}, "q is required"),
    ({"q": "oil", "limit": "ten"}, "limit must be a whole number"),
    ({"q": "oil", "limit": "0"}, "limit must be at least 1"),
    ({"q": "oil", "page": "0"}, "page must be at least 1"),
    ({"q": "oil", "page": "-3"}, "page must be at least 1"),
    ({"q": "oil", "sort": "best"}, "sort must be one of relevance, newest, oldest"),
    ({"q": "oil", "match": "some"}, "match must be one of all, any"),
    ({"q": "oil", "lenient": "maybe"}, "lenient must be true or false"),
    ({"q": "oil", "collapse": "perhaps"}, "collapse must be true or false"),
    ({"q": "oil", "snippets": "-1"}, "snippets must be at least 0"),
    ({"q": "oil", "since": "yesterday-ish"}, "since 'yesterday-ish'"),
    ({"q": "oil", "until": "2024-13"}, "until '2024-13'"),
    ({"q": "oil", "since": "9" * 200}, "since is too long"),
])
def test_bad_parameters_answer_400(client: TestClient, params: dict, named: str) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 400, r.text
    assert named in r.json()["error"]


@pytest.mark.parametrize("params, limit", [
    ({"q": "x" * 1001}, "max_query_chars"),
    ({"q": "oil", "limit": "101"}, "max_limit"),
    ({"q": "oil", "limit": "100", "page": "101"}, "max_depth"),
    ({"q": "oil", "page": "10001"}, "max_depth"),
    ({"q": "oil", "snippets": "11"}, "max_snippets"),
    ({"q": "oil", "source": [f"s{i}" for i in range(21)]}, "max_filter_values"),
])
def test_limits_answer_400_naming_the_limit(client: TestClient, params: dict, limit: str) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 400
    doc = r.json()
    assert doc["limit"] == limit and f"limit {limit}=" in doc["error"]
    assert isinstance(doc["max"], int)


def test_limits_are_configurable(news_index_path: Path) -> None:
    with TestClient(create_app(news_index_path, limits=Limits(max_limit=3))) as c:
        assert c.get("/api/search", params={"q": "oil", "limit": 3}).status_code == 200
        assert c.get("/api/search", params={"q": "oil", "limit": 4}).json()["max"] == 3


def test_the_deepest_page_allowed_answers(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "*", "limit": 100, "page": 100})
    assert r.status_code == 200 and r.json()["hits"] == []


def test_unknown_article_is_404(client: TestClient) -> None:
    r = client.get("/api/articles/no-such-id")
    assert r.status_code == 404
    assert r.json() == {"error": "no article with id 'no-such-id'"}


def test_unknown_route_and_method(client: TestClient) -> None:
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.json()["error"]
    r = client.put("/api/search")
    assert r.status_code == 405 and r.json()["error"]


def test_missing_index_answers_503_not_500(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "none")) as c:
        r = c.get("/api/search", params={"q": "oil"})
        assert r.status_code == 503
        assert "no index" in r.json()["error"].lower() or "not found" in r.json()["error"].lower()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=40), limit=st.one_of(st.none(), st.text(max_size=4)),
       page=st.one_of(st.none(), st.text(max_size=4)),
       since=st.one_of(st.none(), st.text(max_size=12)), lenient=st.sampled_from(["", "1"]))
def test_no_input_gives_a_server_error(client: TestClient, q: str, limit: str | None,
                                       page: str | None, since: str | None, lenient: str) -> None:
    params = {k: v for k, v in {"q": q, "limit": limit, "page": page, "since": since,
                                "lenient": lenient}.items() if v is not None}
    r = client.get("/api/search", params=params)
    assert r.status_code in (200, 400), (params, r.text)
    assert "error" in r.json() if r.status_code == 400 else "hits" in r.json()


# -- features that land separately: answered when present, 400 until then ----------------
@pytest.mark.parametrize("params, feature", [({"facet": "source"}, "facets"),
                                             ({"collapse": "1"}, "collapse"),
                                             ({"after": "abc"}, "after")])
def test_optional_features_say_not_supported_yet(client: TestClient, params: dict,
                                                 feature: str) -> None:
    if FEATURES[feature]:
        pytest.skip(f"{feature} is supported by this build (tested below)")
    r = client.get("/api/search", params={"q": "oil", **params})
    assert r.status_code == 400
    assert "not supported yet" in r.json()["error"]


@pytest.mark.skipif(not FEATURES["facets"], reason="facets have not landed in the library")
def test_facets_are_the_clis_and_filter_to_their_counts(client: TestClient,
                                                        news_index_path: Path) -> None:
    r = client.get("/api/search", params=[("q", "economy OR market"), ("facet", "source"),
                                          ("facet", "category,month"), ("facet_limit", "3")])
    assert r.status_code == 200
    cli_doc = cli_json("search", "economy", "OR", "market", "--facet", "source", "--facet",
                       "category", "--facet", "month", "--facet-limit", "3", "--json",
                       "--index", str(news_index_path))
    assert without_time(r.json()) == without_time(cli_doc)
    for bucket in r.json()["facets"]["category"]:
        narrowed = client.get("/api/search", params={"q": "economy OR market",
                                                     "category": bucket["value"]})
        assert narrowed.json()["total"] == bucket["count"]
    bad = client.get("/api/search", params={"q": "oil", "facet": "colour"})
    assert bad.status_code == 400 and "colour" in bad.json()["error"]
    big = client.get("/api/search", params={"q": "oil", "facet": "source", "facet_limit": "5000"})
    assert big.status_code == 400 and big.json()["limit"] == "max_facet_limit"


@pytest.mark.skipif(not FEATURES["timeline"], reason="timeline has not landed in the library")
def test_timeline_is_the_clis(client: TestClient, news_index_path: Path) -> None:
    r = client.get("/api/timeline", params={"q": "*", "by": "year", "source": "Seed Wire"})
    assert r.status_code == 200
    assert r.json() == cli_json("timeline", "*", "--by", "year", "--source", "Seed Wire",
                                "--json", "--index", str(news_index_path))
    assert client.get("/api/timeline", params={"q": "oil", "by": "hour"}).status_code == 400
    assert client.get("/api/timeline", params={"q": '"oil'}).json()["position"] == 0
    assert client.get("/api/timeline").status_code == 400


@pytest.mark.skipif(not FEATURES["after"], reason="cursors have not landed in the library")
def test_after_walks_on_from_a_cursor(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "*", "limit": 7, "snippets": 0}).json()
    second = client.get("/api/search", params={"q": "*", "limit": 7, "snippets": 0,
                                               "after": first["next_cursor"]}).json()
    page2 = client.get("/api/search", params={"q": "*", "limit": 7, "page": 2,
                                              "snippets": 0}).json()
    assert [h["id"] for h in second["hits"]] == [h["id"] for h in page2["hits"]]
    bad = client.get("/api/search", params={"q": "*", "after": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]
    both = client.get("/api/search", params={"q": "*", "page": 2, "after": first["next_cursor"]})
    assert both.status_code == 400


@pytest.mark.skipif(not FEATURES["collapse"], reason="collapse has not landed in the library")
def test_collapse_is_the_clis(client: TestClient, news_index_path: Path) -> None:
    r = client.get("/api/search", params={"q": "economy", "collapse": "1"})
    assert r.status_code == 200
    assert without_time(r.json()) == without_time(cli_json(
        "search", "economy", "--collapse", "--json", "--index", str(news_index_path)))


def test_timeline_not_supported_yet(client: TestClient) -> None:
    if FEATURES["timeline"]:
        pytest.skip("timeline is supported by this build")
    r = client.get("/api/timeline", params={"q": "oil"})
    assert r.status_code == 400 and "not supported yet" in r.json()["error"]


# -- writes --------------------------------------------------------------------------------
NEW = {"id": "n1", "title": "Coffee prices climb", "body": "Arabica coffee rose sharply.",
       "source": "Farm News", "published": "2024-02-01"}


def test_read_only_by_default(writable: Path) -> None:
    with TestClient(create_app(writable)) as c:
        for r in (c.post("/api/articles", json=NEW), c.delete("/api/articles/a1"),
                  c.post("/api/articles", json=NEW, headers={"Authorization": f"Bearer {TOKEN}"})):
            assert r.status_code == 403 and "read-only" in r.json()["error"]
        assert c.get("/api/articles/a1").status_code == 200


def test_writes_need_a_token_to_be_allowed(writable: Path) -> None:
    with pytest.raises(ValueError, match="token"):
        create_app(writable, allow_writes=True)


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer", TOKEN])
def test_writes_without_the_right_token_are_refused(writable: Path, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    with TestClient(create_app(writable, allow_writes=True, token=TOKEN)) as c:
        r = c.post("/api/articles", json=NEW, headers=headers)
        assert r.status_code == 403 and "Bearer" in r.json()["error"]
        assert c.delete("/api/articles/a1", headers=headers).status_code == 403
        assert c.get("/api/articles/n1").status_code == 404


def test_add_search_and_delete_with_the_token(writable: Path) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(writable, allow_writes=True, token=TOKEN)) as c:
        r = c.post("/api/articles", json=NEW, headers=auth)
        assert r.status_code == 201 and r.json() == {"added": 1}
        assert [h["id"] for h in c.get("/api/search", params={"q": "coffee"}).json()["hits"]] == ["n1"]
        r = c.post("/api/articles", headers=auth,
                   json={"articles": [dict(NEW, id="n2"), dict(NEW, id="n3")]})
        assert r.json() == {"added": 2}
        assert c.get("/api/search", params={"q": "coffee"}).json()["total"] == 3
        assert c.delete("/api/articles/n1", headers=auth).json() == {"deleted": 1}
        assert c.delete("/api/articles/n1", headers=auth).status_code == 404
        assert c.get("/api/articles/n1").status_code == 404
        assert c.get("/healthz").json()["documents"] == 3


@pytest.mark.parametrize("body, status, named", [
    (b"{not json", 400, "not JSON"),
    (b"[]", 400, "must be an article"),
    (b"[1, 2]", 400, "must be an article"),
    (b'"text"', 400, "must be an article"),
    (orjson.dumps({"id": "x", "title": 42}), 400, "title"),
    (orjson.dumps({"id": "x"}), 400, "no title and no body"),
    (orjson.dumps({"id": "x", "title": "t", "published": "not a date"}), 400, "published"),
])
def test_bad_articles_answer_400(writable: Path, body: bytes, status: int, named: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with TestClient(create_app(writable, allow_writes=True, token=TOKEN)) as c:
        r = c.post("/api/articles", content=body, headers=auth)
        assert r.status_code == status, r.text
        assert named in r.json()["error"]
        assert c.get("/healthz").json()["documents"] == 1


def test_body_over_the_limit_is_413(writable: Path) -> None:
    app = create_app(writable, allow_writes=True, token=TOKEN, limits=Limits(max_body_bytes=100))
    with TestClient(app) as c:
        r = c.post("/api/articles", json=dict(NEW, body="x" * 500),
                   headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 413 and r.json()["limit"] == "max_body_bytes"


# -- browser safety: CSP, no CORS unless configured, assets served locally -----------------
def test_security_headers_and_page(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "http" not in r.text.replace("http-equiv", "")      # no CDN, nothing remote
    for asset, kind in [("/static/app.js", "javascript"), ("/static/style.css", "text/css")]:
        a = client.get(asset)
        assert a.status_code == 200 and kind in a.headers["content-type"]
        assert "content-security-policy" in a.headers
    assert client.get("/api/search", params={"q": "oil"}).headers["x-content-type-options"] == "nosniff"


def test_no_cors_unless_configured(client: TestClient, news_index_path: Path) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    assert "access-control-allow-origin" not in client.get("/api/search?q=oil", headers=origin).headers
    app = create_app(news_index_path, cors_origins=["https://dash.example"])
    with TestClient(app) as c:
        ok = c.get("/api/search?q=oil", headers={"Origin": "https://dash.example"})
        assert ok.headers["access-control-allow-origin"] == "https://dash.example"
        other = c.get("/api/search?q=oil", headers=origin)
        assert "access-control-allow-origin" not in other.headers
        pre = c.options("/api/articles", headers={"Origin": "https://dash.example",
                                                  "Access-Control-Request-Method": "POST"})
        assert pre.status_code == 400          # read-only: writes are not offered to browsers

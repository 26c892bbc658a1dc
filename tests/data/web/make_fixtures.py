"""Writes the web-format fixtures in this folder (run once; the outputs are committed).

Every text here was written for these tests (no third-party content). Needs warcio
(a development tool only: the readers use fastwarc): ``python make_fixtures.py``.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

HERE = Path(__file__).parent
PAGES = HERE / "pages"

NAV = """<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav>"""
FOOT = """<footer><p>Copyright 2024 Example Media. All rights reserved.</p>
<p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p></footer>"""


def page(lang: str, charset_tag: str, title: str, paragraphs: list[str], *,
         canonical: str = "", date: str = "", author: str = "", site: str = "") -> str:
    meta = [charset_tag]
    if canonical:
        meta.append(f'<link rel="canonical" href="{canonical}">')
    if date:
        meta.append(f'<meta property="article:published_time" content="{date}">')
    if author:
        meta.append(f'<meta name="author" content="{author}">')
    if site:
        meta.append(f'<meta property="og:site_name" content="{site}">')
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    lang_attr = f' lang="{lang}"' if lang else ""
    return (f"<!DOCTYPE html>\n<html{lang_attr}><head>{''.join(meta)}<title>{title} | {site or 'News'}"
            f"</title></head><body>{NAV}<main><article><h1>{title}</h1>{body}</article>"
            f"<aside><h3>Related</h3><ul><li><a href='/x'>Another story</a></li></ul></aside>"
            f"</main>{FOOT}</body></html>\n")


RU = ["Центральный банк России в пятницу сохранил ключевую ставку на прежнем уровне, "
      "сообщила пресс-служба регулятора после заседания совета директоров.",
      "Аналитики ожидали такого решения: инфляция в последние месяцы замедлилась, но "
      "остаётся выше целевого уровня в четыре процента, а рубль колебался в узком диапазоне.",
      "Следующее заседание по ставке запланировано на конец следующего квартала, когда "
      "банк опубликует новый макроэкономический прогноз."]
JA = ["日本銀行は金曜日、金融政策決定会合で大規模な金融緩和策の維持を決めた。",
      "植田総裁は記者会見で、物価目標の持続的な達成にはなお時間がかかるとの見方を示し、"
      "賃金と物価の好循環を慎重に見極める考えを強調した。",
      "市場では円相場が一時的に下落し、東京株式市場の日経平均株価は小幅に上昇して取引を終えた。"
      "輸出関連企業の株が買われ、銀行株は売られる展開となった。"]
FR = ["Les députés ont adopté mardi soir le projet de loi sur l'énergie après une longue "
      "séance marquée par des débats très animés sur le prix de l'électricité.",
      "Le texte prévoit une hausse progressive des investissements dans les réseaux et "
      "une révision des tarifs réglementés à partir de l'été prochain, a précisé la ministre.",
      "L'opposition a dénoncé un calendrier trop serré et annoncé qu'elle saisirait le "
      "Conseil constitutionnel dans les prochains jours."]
DE = ["Die Ölpreise sind am Montag deutlich gestiegen, nachdem die Förderländer eine "
      "Verlängerung ihrer Produktionskürzungen bis zum Jahresende angekündigt hatten.",
      "Ein Barrel der Nordseesorte Brent kostete am Nachmittag fast drei Prozent mehr als "
      "am Freitag. Händler verwiesen zudem auf die wachsende Nachfrage aus Asien.",
      "Volkswirte rechnen damit, dass die höheren Energiekosten die Inflation im Euroraum "
      "in den kommenden Monaten wieder etwas antreiben werden."]
EN = ["Oil prices rose sharply on Monday after producers announced that they would extend "
      "their output cuts until the end of the year, traders in London said.",
      "Brent crude gained almost three percent by the afternoon, its biggest daily rise "
      "in a month, while demand from Asian refiners continued to grow.",
      "Economists said higher energy costs could push inflation up again in the coming "
      "months, complicating the outlook for central banks."]


def write_pages() -> dict[str, bytes]:
    PAGES.mkdir(exist_ok=True)
    pages = {
        "ru-cp1251.html": page("ru", '<meta charset="windows-1251">', "Банк сохранил ставку",
                               RU, date="2024-03-22", site="Пример Новости").encode("cp1251"),
        "ja-shift_jis.html": page("ja", '<meta http-equiv="Content-Type" content="text/html; '
                                        'charset=Shift_JIS">', "日銀、金融緩和を維持",
                                  JA, date="2024-03-19").encode("shift_jis"),
        # No lang attribute: the language is detected from the text.
        "fr-latin1.htm": page("", '<meta http-equiv="content-type" content="text/html; '
                                  'charset=iso-8859-1">', "L'Assemblée adopte la loi sur l'énergie",
                              FR, date="2024-02-06", author="Claire Martin").encode("latin-1"),
        "de-utf8.html": page("de-DE", '<meta charset="utf-8">', "Ölpreise steigen kräftig", DE,
                             canonical="https://News.Example.COM:443/wirtschaft/oelpreise?utm_source=rss#top",
                             date="2024-04-15T09:30:00+02:00", author="Anna Schmidt",
                             site="Beispiel Zeitung").encode("utf-8"),
        "empty.html": b"<html><head><title>Nothing</title></head><body><nav>Home</nav></body></html>\n",
    }
    for name, data in pages.items():
        (PAGES / name).write_bytes(data)
    en = page("en", '<meta charset="utf-8">', "Oil prices jump as producers extend cuts", EN,
              date="2024-04-15", author="Sam Lee", site="Example Wire").encode("utf-8")
    (PAGES / "en-gzip.html.gz").write_bytes(gzip.compress(en, mtime=0))
    pages["en"] = en
    return pages


def write_warcs(pages: dict[str, bytes]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    def response(writer: WARCWriter, url: str, status: str, ctype: str, body: bytes,
                 extra: list[tuple[str, str]] = ()) -> None:
        http = StatusAndHeaders(status, [("Content-Type", ctype), *extra], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Date": "2024-04-16T12:00:00Z"}))

    out = io.BytesIO()
    w = WARCWriter(out, gzip=True)
    w.write_record(w.create_warcinfo_record("small.warc.gz", {"software": "searchcore tests"}))
    w.write_record(w.create_warc_record(
        "https://news.example.com/en/oil", "request", payload=io.BytesIO(
            b"GET /en/oil HTTP/1.1\r\nHost: news.example.com\r\n\r\n"),
        warc_headers_dict={"WARC-Date": "2024-04-16T12:00:00Z"}))
    response(w, "https://news.example.com/en/oil?utm_campaign=x", "200 OK", "text/html", pages["en"])
    response(w, "https://news.example.com/ru/bank", "200 OK", "text/html", pages["ru-cp1251.html"])
    response(w, "http://news.example.com/old", "301 Moved Permanently", "text/html",
             b"<html>moved</html>", [("Location", "https://news.example.com/en/oil")])
    response(w, "https://news.example.com/missing", "404 Not Found", "text/html", b"<html>404</html>")
    response(w, "https://news.example.com/robots.txt", "200 OK", "text/plain", b"User-agent: *\n")
    response(w, "https://news.example.com/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n")
    response(w, "https://news.example.com/de/oel", "200 OK", "text/html; charset=utf-8",
             pages["de-utf8.html"])
    whole = out.getvalue()
    (HERE / "small.warc.gz").write_bytes(whole)
    # The same archive with its last record cut in half (a download that broke off).
    last = whole.rfind(b"\x1f\x8b\x08")
    (HERE / "truncated.warc.gz").write_bytes(whole[:last + (len(whole) - last) // 2])
    # A damaged member in the middle: the Russian page's bytes overwritten.
    members = [i for i in range(len(whole)) if whole.startswith(b"\x1f\x8b\x08", i)]
    bad = bytearray(whole)
    ru_start, ru_end = members[3], members[4]
    mid = (ru_start + ru_end) // 2
    bad[mid:mid + 64] = b"\x00" * 64
    (HERE / "damaged.warc.gz").write_bytes(bytes(bad))


if __name__ == "__main__":
    write_warcs(write_pages())

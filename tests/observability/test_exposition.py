"""`/metrics`' body and who may read it."""
from __future__ import annotations

from bot.observability import metrics
from bot.observability.exposition import exposition, scraper_allowed
from tests.metrics_reading import parse, value


def test_the_exposition_is_prometheus_text_that_its_parser_reads_back():
    metrics.rejected("wechat", metrics.REPLAYED)
    body, content_type = exposition()
    assert content_type.startswith("text/plain; version=")
    samples = parse(body.decode("utf-8"))
    assert value(samples, "okpay_webhook_rejections_total", channel="wechat", reason="replayed") >= 1
    assert value(samples, "process_resident_memory_bytes") > 0


def test_without_a_token_anyone_may_scrape():
    assert scraper_allowed(None, "")
    assert scraper_allowed("Bearer anything", "")


def test_with_a_token_only_its_bearer_may_scrape():
    token = "metrics-token-0123456789abcdef"
    assert scraper_allowed(f"Bearer {token}", token)
    for header in (None, "", token, f"bearer {token}", f"Bearer {token[:-1]}", f"Bearer {token}x", "Bearer ",
                   f"Basic {token}", f"Bearer  {token}"):
        assert not scraper_allowed(header, token), header

"""Every word people read outside the bot's replies lives in bot/texts, and every word a page asks for is there."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from bot.texts import texts
from bot.widget.routes import TEXTS_MARK, widget_script

CHINESE = re.compile(r"[\u4e00-\u9fff]")
SCRIPTS = {
    "bot/console/static/console.js": ("console", {"UI": ("ui",), "LABELS": ("labels",), "TEXT": ()}),
    "bot/console/static/insights.js": ("console", {"T": ("insights",)}),
    "bot/console/static/review.js": ("console", {"T": ("review",)}),
    "bot/widget/static/okpay-widget.js": ("widget", {"TEXT": ()}),
}


def without_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return "\n".join(line.split("//", 1)[0] if "://" not in line else line for line in source.splitlines())


@pytest.mark.parametrize("path", sorted(SCRIPTS))
def test_no_script_holds_chinese_text_of_its_own(path):
    code = without_comments((PROJECT_ROOT / path).read_text(encoding="utf-8"))
    assert [line.strip() for line in code.splitlines() if CHINESE.search(line)] == []


@pytest.mark.parametrize("path", sorted(SCRIPTS))
def test_every_text_a_script_reads_is_in_its_surface(path):
    surface, names = SCRIPTS[path]
    data = texts(surface)
    code = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    missing = []
    for name, prefix in names.items():
        for key in set(re.findall(rf"\b{name}\.(\w+)", code)):
            node = data
            for part in (*prefix, key):
                node = node.get(part) if isinstance(node, dict) else None
            if node is None and not (name == "TEXT" and key in ("labels", "ui", "errors")):
                missing.append(f"{name}.{key}")
    assert missing == []


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "bot" / "console" / "templates").glob("*.html")),
                         ids=lambda path: path.name)
def test_no_console_page_holds_chinese_text_of_its_own(path):
    markup = re.sub(r"<!--.*?-->|\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
    assert [line.strip() for line in markup.splitlines() if CHINESE.search(line)] == []


def test_every_word_a_console_page_reads_is_there():
    pages = texts("console")["pages"]
    for path in (PROJECT_ROOT / "bot" / "console" / "templates").glob("*.html"):
        for section, key in re.findall(r"\bt\.(\w+)\.(\w+)", path.read_text(encoding="utf-8")):
            assert key in pages.get(section, {}), f"{path.name}: t.{section}.{key}"


def test_every_refusal_the_console_answers_has_its_words():
    codes = set()
    for path in Path(PROJECT_ROOT / "bot" / "console").glob("*.py"):
        codes |= set(re.findall(r'ApiError\(\d+, "(\w+)"', path.read_text(encoding="utf-8")))
    store = (PROJECT_ROOT / "bot" / "tickets" / "store.py").read_text(encoding="utf-8")
    codes |= set(re.findall(r'code = "(\w+)"', store)) - {"ticket_error"}
    assert codes and codes <= set(texts("console")["errors"]), codes - set(texts("console")["errors"])


def test_the_widget_script_is_served_with_its_words():
    script = widget_script()
    assert TEXTS_MARK not in script
    assert '"typing": "客服正在输入…"' in script and '"welcome": "您好，我是 OKPay 智能客服。' in script


def test_the_channels_words_have_their_placeholders():
    words = texts("channels")
    assert "{name}" in words["agent_prefix"] and "{number}" in words["agent_prefix"]
    assert words["rate_limited"] and words["choose_by_number"]


def test_every_guide_and_step_and_category_has_a_name_people_read():
    from bot.content.catalog import load_guides
    from bot.content.ticket_rules import load_ticket_rules

    labels = texts("labels")
    guides = load_guides()
    assert set(labels["guide_titles"]) == set(guides)
    for name, guide in guides.items():
        assert guide.title == labels["guide_titles"][name]
        assert [step.label for step in guide.steps] == [labels["guide_steps"][name][step.id] for step in guide.steps]
    assert set(guides) <= set(load_ticket_rules().categories) == set(labels["ticket_categories"])

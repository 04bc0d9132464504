"""Every word a person reads that is not one of the bot's replies (those are `domain.yml`'s responses): one home.

- `console.yml`: the agent console: the API's refusals (`errors`), names of
  values (`labels`: statuses, channels …) and the pages' words (`ui`).
- `widget.yml`: the chat widget's words.
- `channels.yml`: what channels add around the bot's replies (the agent's
  name, "reply with a number"), and the answer to a user who writes too fast.
- `topics.yml`: the topic buttons offered when the bot did not understand;
  `intent_names.yml`: the Chinese names of intents (review queue, analytics);
  `canned_replies.yml`: the agents' ready-made replies.
- `labels.yml`: the names of the guides, their steps and the ticket categories.
- `console.yml`'s `pages`: the words of the console's pages' markup (`{{ t.<section>.<key> }}`).

The console's pages get their surface as JSON in a `<meta>` element
(`page_json`, `bot/console/templates/base.html`; no inline script); the widget's script gets its own when the
console serves it (`bot.widget.routes`). {name} in a text marks a value.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Dict

import yaml

HERE = Path(__file__).resolve().parent


@cache
def texts(surface: str) -> Dict[str, Any]:
    """The texts of `surface` ("console", "widget", "channels")."""
    with (HERE / f"{surface}.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def page_json(surface: str) -> str:
    """`surface`'s texts as JSON, for a page's template (which escapes it as an attribute value)."""
    return json.dumps(texts(surface), ensure_ascii=False)

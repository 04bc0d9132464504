"""The ticket rules of bot/content/tickets.yml, loaded once and typed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Tuple

import yaml

from bot.content.catalog import CONTENT_DIR, load_labels

OTHER = "other"


@dataclass(frozen=True)
class TicketRules:
    categories: Mapping[str, str]
    high_priority_categories: frozenset
    urgent_words: Tuple[str, ...]
    senior_words: Tuple[str, ...]
    fields: Mapping[str, Tuple[str, ...]]
    optional_fields: frozenset
    skip_words: Tuple[str, ...]
    cancel_words: Tuple[str, ...]
    description_max_chars: int
    rating_words: Mapping[str, int]

    def fields_for(self, category: str | None) -> Tuple[str, ...]:
        return self.fields.get(category or "", self.fields["default"])

    def category_label(self, category: str | None) -> str:
        return self.categories.get(category or OTHER, self.categories[OTHER])

    def is_urgent(self, category: str | None, text: str) -> bool:
        return category in self.high_priority_categories or any(word in text for word in self.urgent_words)

    def wants_senior(self, text: str) -> bool:
        return any(word in text for word in self.senior_words)

    def is_skip(self, text: str) -> bool:
        return _is_short_answer(text, self.skip_words)

    def is_cancel(self, text: str) -> bool:
        return _is_short_answer(text, self.cancel_words)

    def rating_in(self, text: str) -> int | None:
        """The 1–5 score in a short answer: "5", "给4分", "五星", "非常满意"; else None."""
        stripped = "".join(ch for ch in text.strip().lower() if ch.isalnum())
        if not stripped or len(stripped) > 12:
            return None
        # Words first, longest first: 一般 is not 1, 非常不满意 is not 满意.
        for word, score in self.rating_words.items():
            if word in stripped:
                return score
        digits = re.findall(r"\d", stripped)
        if len(digits) == 1 and digits[0] in "12345":
            return int(digits[0])
        numeral = re.search(r"([一二三四五])(?:分|星|颗星)|^([一二三四五])$", stripped)
        if numeral:
            return "一二三四五".index(numeral.group(1) or numeral.group(2)) + 1
        return None


def _is_short_answer(text: str, words: Tuple[str, ...]) -> bool:
    """A short reply made of one of `words` ("跳过", "跳过吧", "不知道哦")."""
    stripped = "".join(ch for ch in text.strip().lower() if ch.isalnum())
    return len(stripped) <= 8 and any(word in stripped for word in words)


@lru_cache(maxsize=4)
def load_ticket_rules(path: Path | None = None) -> TicketRules:
    raw = yaml.safe_load((path or CONTENT_DIR / "tickets.yml").read_text(encoding="utf-8"))
    fields = {name: tuple(value) for name, value in raw["fields"].items()}
    categories = dict(load_labels()["ticket_categories"])
    if "default" not in fields or OTHER not in categories:
        raise ValueError("tickets.yml needs fields.default, and bot/texts/labels.yml the category 'other'")
    return TicketRules(
        categories=categories,
        high_priority_categories=frozenset(raw["high_priority_categories"]),
        urgent_words=tuple(raw["urgent_words"]),
        senior_words=tuple(word.lower() for word in raw["senior_words"]),
        fields=fields,
        optional_fields=frozenset(raw["optional_fields"]),
        skip_words=tuple(word.lower() for word in raw["skip_words"]),
        cancel_words=tuple(word.lower() for word in raw["cancel_words"]),
        description_max_chars=int(raw["description_max_chars"]),
        rating_words=dict(sorted(raw["rating_words"].items(), key=lambda item: -len(item[0]))),
    )

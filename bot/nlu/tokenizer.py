"""A jieba tokenizer that normalises the text first and drops blank tokens."""
from __future__ import annotations

import re
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalize import normalize

#: "/EXTERNAL_unsupported_message{…}": an intent given by name (buttons, channels).
#: Left as it is: Rasa's RegexMessageHandler, later in the pipeline, matches intent names case-sensitively.
INTENT_COMMAND = re.compile(r"/[A-Za-z_][A-Za-z0-9_]*(\{.*\})?$", re.S)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    """`JiebaTokenizer` with Traditional→Simplified and width folding.

    The normalised text replaces the message's `text` attribute, so every later
    component (featurizers, entity extractors, response selector) sees the same
    form. Rasa stores the user's original words in the tracker regardless.
    Whitespace-only tokens are dropped: they break training (rasa issue 7910).
    """

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        if attribute == TEXT and not INTENT_COMMAND.match(message.get(TEXT) or ""):
            message.set(TEXT, normalize(message.get(TEXT)))
        tokens = super().tokenize(message, attribute)
        return [token for token in tokens if token.text.strip()]

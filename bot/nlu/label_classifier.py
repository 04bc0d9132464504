"""One linear model for intents and FAQ topics together.

Rasa's usual set-up trains two neural networks: DIET for the intent and a
ResponseSelector for the topic of a retrieval intent (`faq/fees`). Here a
single multinomial logistic regression learns every full label at once (an
ordinary intent, or `faq/<topic>`) over the featurizers' sparse sentence
features, TF-IDF weighted. It writes what both Rasa components write: the
intent with its ranking (the confidence of `faq` is the sum over its topics)
and, for a retrieval intent, the `response_selector` entry that Rasa's
`utter_faq` reads. It trains in seconds, loads without TensorFlow, and was
chosen by measurement (docs/nlu.md).

The model is stored as plain arrays (coefficients, intercepts, IDF weights)
and a JSON list of labels: nothing is unpickled when a model is loaded.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.evaluation.examples import base_intent

logger = logging.getLogger(__name__)

_ARRAYS = "label_classifier.npz"
_LABELS = "label_classifier.json"


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def sentence_row(message: Message) -> scipy.sparse.csr_matrix | None:
    """The sparse sentence-level features of every featurizer for `message` (None for an empty message)."""
    if not message.get(TEXT):
        return None
    _, sentence = message.get_sparse_features(TEXT, [])
    return None if sentence is None else scipy.sparse.csr_matrix(sentence.features)


def sentence_features(messages: List[Message]) -> scipy.sparse.csr_matrix:
    """One row of sentence features per (training) message."""
    rows = [sentence_row(message) for message in messages]
    if any(row is None for row in rows):
        raise ValueError("no sparse sentence features: put a CountVectorsFeaturizer before this classifier")
    return scipy.sparse.vstack(rows).tocsr()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FullLabelClassifier(GraphComponent, IntentClassifier):
    """Intents and retrieval-intent topics from one logistic regression."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # None: every example counts the same; "balanced" weighs each label
            # by the inverse of its number of examples (lower in cross-validation).
            "class_weight": None,
            "max_iter": 3000,
            "random_seed": 20261129,
            # Labels in the intent ranking and in the response selector's ranking.
            "ranking_length": 10,
        }

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.labels: List[str] = []
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None
        self.idf: np.ndarray | None = None
        self._weights_of: np.ndarray | None = None
        self._weights: np.ndarray | None = None

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FullLabelClassifier:
        return cls(config, model_storage, resource)

    # -- training -------------------------------------------------------------

    def _weighted(self, counts: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
        """Sublinear TF × IDF, rows scaled to unit length."""
        from sklearn.preprocessing import normalize

        tf = counts.astype(np.float64).tocsr(copy=True)
        tf.data = 1.0 + np.log(np.maximum(tf.data, 1e-12))
        if self.idf is not None:
            tf = tf @ scipy.sparse.diags(self.idf)
        return normalize(tf, norm="l2", copy=False)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        if not examples:
            logger.debug("No intent examples: the label classifier is left untrained.")
            return self._resource
        y = [e.get(INTENT_RESPONSE_KEY) or e.get(INTENT) for e in examples]
        counts = sentence_features(examples)
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf = np.log((1 + len(examples)) / (1 + document_frequency)) + 1.0
        model = LogisticRegression(C=self.config["C"], class_weight=self.config["class_weight"],
                                   max_iter=self.config["max_iter"], random_state=self.config["random_seed"])
        model.fit(self._weighted(counts), y)
        self.labels = [str(label) for label in model.classes_]
        self.coef, self.intercept = model.coef_, model.intercept_
        self.persist()
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # -- prediction -----------------------------------------------------------

    def weights(self) -> np.ndarray:
        """The coefficients as features × labels, in one contiguous block.

        A sparse row times `coef.T` (a transposed view) makes SciPy copy the whole matrix first: 1.5 ms per
        message with 33 labels × 19,790 features, the largest part of the NLU's time in a turn.
        """
        if self._weights is None or self._weights_of is not self.coef:
            self._weights, self._weights_of = np.ascontiguousarray(self.coef.T), self.coef
        return self._weights

    def probabilities(self, counts: scipy.sparse.csr_matrix) -> np.ndarray:
        """One row of label probabilities per row of sentence features (columns in `self.labels` order)."""
        return _softmax(np.asarray(self._weighted(counts) @ self.weights()) + self.intercept)

    def _rankings(self, row: np.ndarray) -> Tuple[List[Dict[str, Any]], Dict[str, List[Tuple[str, float]]]]:
        by_intent: Dict[str, float] = {}
        topics: Dict[str, List[Tuple[str, float]]] = {}
        for label, probability in zip(self.labels, row.tolist(), strict=True):
            intent = base_intent(label)
            by_intent[intent] = by_intent.get(intent, 0.0) + probability
            if intent != label:
                topics.setdefault(intent, []).append((label, probability))
        ranking = [{"name": name, "confidence": confidence}
                   for name, confidence in sorted(by_intent.items(), key=lambda item: -item[1])]
        return ranking[: self.config["ranking_length"]], topics

    def _response_selector(self, topics: Dict[str, List[Tuple[str, float]]]) -> Dict[str, Any]:
        selector: Dict[str, Any] = {"all_retrieval_intents": sorted(topics)}
        for intent, labels in topics.items():
            ordered = sorted(labels, key=lambda item: -item[1])
            total = sum(probability for _, probability in ordered) or 1.0
            best, best_probability = ordered[0]
            selector[intent] = {
                "response": {
                    "responses": [],
                    "confidence": best_probability / total,
                    INTENT_RESPONSE_KEY: best,
                    "utter_action": f"utter_{best}",
                },
                "ranking": [{"id": index, "confidence": probability / total, INTENT_RESPONSE_KEY: label}
                            for index, (label, probability) in enumerate(ordered[: self.config["ranking_length"]])],
            }
        return selector

    def process(self, messages: List[Message]) -> List[Message]:
        if self.coef is None:
            return messages
        readable, rows = [], []
        for message in messages:
            row = sentence_row(message)
            if row is None:
                # An empty message has no features: like DIET, no intent at
                # confidence 0, which the FallbackClassifier turns into nlu_fallback.
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
            else:
                readable.append(message)
                rows.append(row)
        if not readable:
            return messages
        probabilities = self.probabilities(scipy.sparse.vstack(rows).tocsr())
        for message, row in zip(readable, probabilities, strict=True):
            ranking, topics = self._rankings(row)
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
            if topics:
                message.set("response_selector", self._response_selector(topics), add_to_output=True)
        return messages

    # -- storage --------------------------------------------------------------

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / _ARRAYS, coef=self.coef, intercept=self.intercept, idf=self.idf)
            (directory / _LABELS).write_text(json.dumps(self.labels, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> FullLabelClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / _ARRAYS, allow_pickle=False)
                component.coef, component.intercept, component.idf = (arrays["coef"], arrays["intercept"],
                                                                      arrays["idf"])
                component.labels = json.loads((directory / _LABELS).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("The label classifier was not trained; it predicts nothing.")
        return component

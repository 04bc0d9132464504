"""k-fold cross-validation of the training data (stratified by full label, fixed seed)."""
from __future__ import annotations

import contextlib
import io
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Sequence

from bot.evaluation.examples import Example

SEED = 20261129

#: Trains on the first examples and returns the full label of each text.
TrainAndPredict = Callable[[Sequence[Example], Sequence[str], Path], List[str]]


@dataclass
class CrossValidation:
    gold: List[str] = field(default_factory=list)
    predicted: List[str] = field(default_factory=list)
    texts: List[str] = field(default_factory=list)
    training_s: List[float] = field(default_factory=list)


def folds(examples: Sequence[Example], k: int = 5, seed: int = SEED) -> List[List[int]]:
    """Indices of the held-out part of each fold; every label is spread over the folds."""
    from sklearn.model_selection import StratifiedKFold

    labels = [example.label for example in examples]
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [list(test) for _, test in splitter.split(labels, labels)]


def cross_validate(examples: Sequence[Example], train_and_predict: TrainAndPredict, k: int = 5,
                   seed: int = SEED) -> CrossValidation:
    """Each example predicted by a model trained on the other folds."""
    result = CrossValidation()
    with tempfile.TemporaryDirectory(prefix="okpay-crossval-") as temporary:
        for number, held_out in enumerate(folds(examples, k, seed)):
            chosen = set(held_out)
            training = [example for index, example in enumerate(examples) if index not in chosen]
            texts = [examples[index].text for index in held_out]
            started = time.perf_counter()
            predicted = train_and_predict(training, texts, Path(temporary) / f"fold{number}")
            result.training_s.append(time.perf_counter() - started)
            result.texts.extend(texts)
            result.gold.extend(examples[index].label for index in held_out)
            result.predicted.extend(predicted)
    return result


def rasa_trainer(config: Path) -> TrainAndPredict:
    """Trains the Rasa pipeline of `config` on each fold."""
    from bot.evaluation import rasa_nlu

    def train_and_predict(training: Sequence[Example], texts: Sequence[str], workdir: Path) -> List[str]:
        # Rasa prints its progress on stdout; keep the figures readable.
        with contextlib.redirect_stdout(io.StringIO()):
            model = rasa_nlu.train(config, training, workdir)
        return model.labels(texts)

    return train_and_predict

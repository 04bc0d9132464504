"""The retrain report with a tiny, fast pipeline (no TensorFlow classifier): both figures, before and after."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.insights.retrain_report import scores

ROOT = Path(__file__).resolve().parents[2]
TINY_CONFIG = """\
recipe: default.v1
assistant_id: retrain-report-test
language: zh
pipeline:
  - name: bot.nlu.tokenizer.NormalizingJiebaTokenizer
    dictionary_path: bot/nlu/dictionary
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 2
  - name: LogisticRegressionClassifier
    max_iter: 200
policies: []
"""
CORRECTIONS = """\
version: "3.1"
nlu:
- intent: withdraw_not_arrived
  metadata:
    source: review
  examples: |
    - 钱提出去好几天了卡里还是没有
    - 提到银行卡的钱一直没看到
- intent: deny
  metadata:
    source: review
  examples: |
    - 按你说的弄了 还是老样子
"""


def test_scores_count_faq_topics_as_faq_for_intents_and_apart_for_labels():
    result = scores(["faq/fees", "faq/currency", "greet", "deny"], ["faq/fees", "faq", "greet", "nlu_fallback"])
    assert (result.intent_accuracy, result.label_accuracy) == (0.75, 0.5)
    assert result.f1["faq/fees"] == 1.0 and result.f1["deny"] == 0.0


def test_missing_corrections_file_is_explained(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot.insights.retrain_report", "--corrections",
                             str(tmp_path / "none.yml")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "bot.insights.review export" in result.stderr


def test_report_prints_accuracy_and_macro_f1_before_and_after(tmp_path):
    (tmp_path / "tiny.yml").write_text(TINY_CONFIG, encoding="utf-8")
    (tmp_path / "corrections.yml").write_text(CORRECTIONS, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot.insights.retrain_report", "--config", str(tmp_path / "tiny.yml"),
         "--corrections", str(tmp_path / "corrections.yml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figure = r"\s+(0\.\d{3}|1\.000)\s+(0\.\d{3}|1\.000)\s+\([+-]\d\.\d{3}\)"
    assert re.search(r"intent accuracy" + figure, result.stdout), result.stdout
    assert re.search(r"intent macro-F1" + figure, result.stdout)
    assert re.search(r"withdraw_not_arrived" + figure + r"\s+\(2\)", result.stdout)
    assert re.search(r"deny" + figure + r"\s+\(1\)", result.stdout)
    assert re.search(r"held-out messages: \d+; corrections: 3 examples of 2 intents", result.stdout)
    assert not (tmp_path / ".rasa").exists() and not (tmp_path / "models").exists()

from bot.model_files import MODEL_PREFIX, fingerprint, model_name


def make_sources(root):
    (root / "bot/data").mkdir(parents=True)
    (root / "config.yml").write_text("pipeline: []")
    (root / "domain.yml").write_text("intents: []")
    (root / "bot/data/nlu.yml").write_text("nlu: []")


def test_fingerprint_is_stable_for_the_same_sources(tmp_path):
    make_sources(tmp_path)
    assert fingerprint(tmp_path) == fingerprint(tmp_path)
    assert model_name(tmp_path).startswith(MODEL_PREFIX)


def test_fingerprint_changes_when_training_data_changes(tmp_path):
    make_sources(tmp_path)
    before = fingerprint(tmp_path)
    (tmp_path / "bot/data/nlu.yml").write_text("nlu: [changed]")
    assert fingerprint(tmp_path) != before


def test_fingerprint_changes_when_a_file_is_added(tmp_path):
    make_sources(tmp_path)
    before = fingerprint(tmp_path)
    (tmp_path / "bot/data/rules.yml").write_text("rules: []")
    assert fingerprint(tmp_path) != before


def test_fingerprint_ignores_python_caches(tmp_path):
    make_sources(tmp_path)
    before = fingerprint(tmp_path)
    (tmp_path / "bot/data/__pycache__").mkdir()
    (tmp_path / "bot/data/__pycache__/x.pyc").write_bytes(b"\0")
    assert fingerprint(tmp_path) == before

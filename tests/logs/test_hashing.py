"""The conversation id in logs is a keyed hash: stable for one key, different for another, never the id."""
from __future__ import annotations

import hashlib
import hmac
import os
import stat
import threading

from bot.logs import hashing
from bot.logs.hashing import conversation_hash, reset_hash_key
from bot.secret_files import kept_secret
from bot.settings import reset_settings_cache
from tests.logs.conftest import KEY


def test_the_hash_is_the_keyed_hmac_of_the_id(hash_key):
    expected = hmac.new(KEY.encode(), b"rest:alice", hashlib.sha256).hexdigest()[:16]
    assert conversation_hash("rest:alice") == expected
    assert conversation_hash("rest:alice") != conversation_hash("rest:alice2")
    assert "alice" not in conversation_hash("rest:alice")


def test_another_key_gives_another_hash(monkeypatch, hash_key):
    first = conversation_hash("telegram:12345")
    monkeypatch.setenv("OKPAY_LOG_HASH_KEY", "another-key-0123456789abcdef")
    reset_settings_cache()
    reset_hash_key()
    assert conversation_hash("telegram:12345") != first
    # A plain (unkeyed) hash, which anyone can compute from a guessed id, is not what logs show.
    assert conversation_hash("telegram:12345") != hashlib.sha256(b"telegram:12345").hexdigest()[:16]


def test_without_a_setting_one_kept_key_serves_every_process_of_the_install(monkeypatch, tmp_path):
    monkeypatch.delenv("OKPAY_LOG_HASH_KEY", raising=False)
    monkeypatch.setenv("OKPAY_TRACKER_DB", str(tmp_path / "var" / "okpay.db"))
    reset_settings_cache()
    reset_hash_key()
    try:
        keys = []
        threads = [threading.Thread(target=lambda: keys.append(kept_secret(hashing.key_file())))
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        path = tmp_path / "var" / hashing.KEY_FILE
        assert len(set(keys)) == 1 and keys[0] == path.read_text().strip() and len(keys[0]) >= 32
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert sorted(p.name for p in path.parent.iterdir()) == [hashing.KEY_FILE]  # no drafts left
        first = conversation_hash("wechat:openid-1")
        reset_hash_key()  # as another process would: read from the file
        assert conversation_hash("wechat:openid-1") == first
    finally:
        monkeypatch.undo()
        reset_settings_cache()
        reset_hash_key()


def test_the_command_prints_the_hash_an_operator_searches_the_logs_for(hash_key, capsys):
    assert hashing.main(["rest:alice", "wechat:o1"]) == 0
    assert capsys.readouterr().out.split() == [conversation_hash("rest:alice"), conversation_hash("wechat:o1")]

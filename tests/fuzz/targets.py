"""The fuzzed endpoints: the servers under test, how one generated input is sent, and what must hold.

Every target has `inputs()` (a Hypothesis strategy, from `tests.fuzz.strategies`),
`check(example)` (sends it, returns an `Outcome`: the status seen and the broken
property, if any), `explicit()` (inputs that broke it once, always tried) and
`healthy()` (after the fuzz: the endpoint still answers a normal request and no
stored data was lost). `fuzz(target, examples)` runs it under Hypothesis; the
tests (tests/fuzz) and `benchmarks.fuzz_benchmark` both call it.

Servers: `Channels` runs the real channel blueprints (WeChat in safe mode,
which takes plain messages too; Telegram; the widget; REST) on one
`ChannelServer` with the fake Rasa agent, the WeChat and Telegram APIs faked
on 127.0.0.1; `Console` runs the console app with `FakeRasa` on a ticket store
of its own. `fuzz_environment(directory)` points whatever reads the settings
(queue status, undelivered notes) at a fresh SQLite store there. Nothing
leaves 127.0.0.1 and nothing is written outside `directory`.
"""
from __future__ import annotations

import asyncio
import atexit
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Tuple
from urllib.parse import quote

import requests
import socketio
from aiohttp import web
from hypothesis import HealthCheck, Phase, configuration, given, settings
from hypothesis import example as explicit_example
from hypothesis import strategies as st
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import func, select

from bot.agents.models import SUPERVISOR
from bot.channels.rest import CallbackInput, RestInput
from bot.channels.telegram import SECRET_HEADER, TelegramChannel
from bot.channels.wechat import WeChatInput
from bot.channels.widget import MAX_SOCKET_MESSAGE_BYTES, NAMESPACE, WidgetInput
from bot.console.app import MAX_BODY_BYTES, create_app
from bot.database.database import Database, get_database
from bot.database.migrate import upgrade
from bot.database.schema import utcnow
from bot.settings import Settings, reset_settings_cache
from bot.tickets import store
from bot.tickets.models import Ticket, TicketEvent
from bot.widget.tokens import user_token
from tests.aiohttp_thread import AiohttpThread
from tests.channels.conftest import ChannelServer
from tests.channels.widget_client import Client
from tests.console.conftest import FakeRasa
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.telegram_api import text_update as telegram_text_update
from tests.fakes.wechat_api import ACCOUNT, FakeWeChatAPI
from tests.fuzz import strategies
from tests.insights.generated import Script
from tests.insights.generated import write as write_conversations
from tests.servers import free_port
from tests.ticket_factories import PASSWORD, make_agent, make_ticket

EXAMPLES_VARIABLE = "OKPAY_FUZZ_EXAMPLES"
#: Per endpoint in CI (and in `scripts/test`); the benchmark runs 10,000.
DEFAULT_EXAMPLES = 150
WECHAT_TOKEN = "fuzz-wechat-token"
TELEGRAM_SECRET = "fuzz-telegram-secret"
WIDGET_SECRET = "fuzz-widget-secret-0123456789abcdef"
BUTTONS = [{"title": "解决了", "payload": "/affirm"}, {"title": "没解决", "payload": "/deny"}]
#: The fake bot's tracker store is emptied this often (a conversation's history is read on every turn).
TIDY_EVERY = 500


def examples_per_endpoint() -> int:
    return int(os.environ.get(EXAMPLES_VARIABLE, DEFAULT_EXAMPLES))


@dataclass
class Outcome:
    status: str
    problem: str | None = None


@dataclass
class Stats:
    examples: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: List[Tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def record(self, example: Any, outcome: Outcome) -> None:
        self.examples += 1
        self.statuses[outcome.status] += 1
        if outcome.problem:
            self.failures.append((_short(example), outcome.problem))


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


class Target:
    name = ""

    def inputs(self) -> st.SearchStrategy[Any]:
        raise NotImplementedError

    def explicit(self) -> List[Any]:
        return []

    def check(self, example: Any) -> Outcome:
        raise NotImplementedError

    def healthy(self) -> str | None:
        return None


_hypothesis_home: Path | None = None


def _keep_hypothesis_out_of_the_work_tree() -> None:
    """Hypothesis caches unicode tables and constants even without a database: in a temporary directory,
    not in .hypothesis/ of the working directory."""
    global _hypothesis_home
    if _hypothesis_home is None:
        _hypothesis_home = Path(tempfile.mkdtemp(prefix="okpay-hypothesis-"))
        atexit.register(shutil.rmtree, _hypothesis_home, True)
        configuration.set_hypothesis_home_dir(_hypothesis_home)


def fuzz(target: Target, examples: int, derandomize: bool = True, stop_on_failure: bool = True) -> Stats:
    """Runs `target` on `examples` generated inputs (plus its explicit ones).

    stop_on_failure: raise at the first broken property, shrunk by Hypothesis (the tests); else
    count every failure and go on (the benchmark).
    """
    _keep_hypothesis_out_of_the_work_tree()
    stats = Stats()

    def run(example: Any) -> None:
        outcome = target.check(example)
        stats.record(example, outcome)
        if outcome.problem and stop_on_failure:
            raise AssertionError(f"{target.name}: {outcome.problem}")

    phases = (Phase.explicit, Phase.generate) + ((Phase.shrink,) if stop_on_failure else ())
    test = given(target.inputs())(run)
    for value in target.explicit():
        test = explicit_example(value)(test)
    test = settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
                    suppress_health_check=list(HealthCheck), phases=phases, print_blob=False)(test)
    started = time.perf_counter()
    try:
        test()
    finally:
        stats.seconds = time.perf_counter() - started
    return stats


@contextmanager
def fuzz_environment(directory: Path) -> Iterator[str]:
    """A migrated SQLite ticket store in `directory`, the configured one (OKPAY_DATABASE_URL) meanwhile; no Redis."""
    url = f"sqlite:///{directory / 'tickets.db'}"
    upgrade(url)
    saved = {name: os.environ.get(name) for name in ("OKPAY_DATABASE_URL", "OKPAY_REDIS_URL")}
    os.environ["OKPAY_DATABASE_URL"] = url
    os.environ.pop("OKPAY_REDIS_URL", None)
    reset_settings_cache()
    try:
        yield url
    finally:
        get_database().dispose()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings_cache()


class ErrorLog(logging.Handler):
    """ERROR records of the socket layers and the channels, while installed (errors inside socket handlers
    are only logged: socket.io runs each handler as a task of its own)."""

    PREFIXES = ("socketio", "engineio", "bot.channels", "asyncio")

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(self.PREFIXES):
            self.records.append(f"{record.name}: {record.getMessage()[:300]}"
                                + (f" ({record.exc_info[1]!r})" if record.exc_info else ""))

    def __enter__(self) -> ErrorLog:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *_: Any) -> None:
        logging.getLogger().removeHandler(self)


# --- the channels ------------------------------------------------------------------------------


class Channels:
    """WeChat, Telegram, the widget and REST on one ChannelServer; fakes of the WeChat and Telegram APIs."""

    def __init__(self) -> None:
        self.wechat_api = FakeWeChatAPI()
        self.telegram_api = FakeTelegramAPI()
        self.aes_key = FakeWeChatAPI.new_aes_key()
        self.settings = Settings(
            wechat_token=WECHAT_TOKEN, wechat_app_id=self.wechat_api.app_id,
            wechat_app_secret=self.wechat_api.app_secret, wechat_api_url=self.wechat_api.url,
            wechat_aes_key=self.aes_key, telegram_token=self.telegram_api.token,
            telegram_secret_token=TELEGRAM_SECRET, telegram_api_url=self.telegram_api.url, redis_url="",
        )
        self.widget = WidgetInput(jwt_secret=WIDGET_SECRET, allowed_origins=["http://127.0.0.1"])
        #: Where the callback channel POSTs the bot's messages (answers 200 to anything).
        self.callback_sink = AiohttpThread(_callback_sink, free_port(), "callback-sink")
        callback = CallbackInput(EndpointConfig(f"{self.callback_sink.url}/bot"))
        self.server = ChannelServer([WeChatInput(self.settings, redis_prefix="fuzz:"), TelegramChannel(self.settings),
                                     self.widget, RestInput(), callback])
        self.server.app.config.ACCESS_LOG = False  # tens of thousands of requests
        self.agent = self.server.agent
        # Buttons on every answer, so typed numbers pick one (WeChat, Telegram) and taps have something to match.
        self.agent.script = lambda text: [{"text": f"echo: {text[:40]}", "buttons": BUTTONS}]
        self.http = requests.Session()
        self._sent = 0

    def start(self) -> Channels:
        self.callback_sink.start()
        self.server.start()
        return self

    def stop(self) -> None:
        self.http.close()
        self.server.stop()
        self.callback_sink.stop()
        self.wechat_api.close()
        self.telegram_api.close()

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    def tidy(self) -> None:
        """Empties the fake bot's memory now and then, so the 10,000th turn is as fast as the first."""
        self._sent += 1
        if self._sent % TIDY_EVERY == 0:
            self.server.run(self._forget())

    async def _forget(self) -> None:
        self.agent.tracker_store.store.clear()
        self.agent.received.clear()


def _callback_sink() -> web.Application:
    async def received(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=1024**2)
    app.router.add_post("/bot", received)
    return app


def _status(response: requests.Response) -> str:
    return str(response.status_code)


def _sha1_sorted(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts (wechatpy sorts their UTF-8 bytes)."""
    return hashlib.sha1(b"".join(sorted(part.encode("utf-8") for part in parts))).hexdigest()


class WeChatTarget(Target):
    """POST /webhooks/wechat/webhook: signed or not, plain or safe mode, any body.

    Properties: never 5xx; a request WeChat did not sign is a 403 and hands nothing to the bot; a
    refused (4xx) request hands nothing to the bot either.
    """

    name = "wechat"
    SIGNED = ("plain", "aes", "aes_garbage", "aes_bad_signature")

    def __init__(self, channels: Channels) -> None:
        self.channels = channels
        self._msg_ids = iter(range(10**15, 10**16))

    def inputs(self) -> st.SearchStrategy[Any]:
        return strategies.wechat_requests()

    def explicit(self) -> List[Any]:
        typed = FakeWeChatAPI.text_message_xml("o_user1", "፩", 7)  # isdigit() but not a number int() reads
        gbk = '<?xml version="1.0" encoding="GBK"?>' + FakeWeChatAPI.text_message_xml("o_user1", "你好", 9)
        unknown = gbk.replace("GBK", "no-such-encoding")  # expat: ValueError and LookupError, not ExpatError
        return [{"mode": "plain", "body": typed.encode("utf-8"), "extra": {}},
                {"mode": "aes", "body": FakeWeChatAPI.text_message_xml("o_user1", "𐩀", 8), "extra": {}},
                {"mode": "plain", "body": gbk.encode("utf-8"), "extra": {}}, {"mode": "aes", "body": unknown, "extra": {}}]

    def request(self, mode: str, body: Any, extra: Dict[str, str]) -> Tuple[Dict[str, str], bytes]:
        """The query and the body as WeChat (or an impostor) would send them now."""
        query = dict(extra)
        sign = FakeWeChatAPI.signed_query
        now = int(time.time())
        if mode == "plain":
            query.update(sign(WECHAT_TOKEN))
        elif mode in ("aes", "aes_bad_signature"):
            body, encrypted = FakeWeChatAPI.encrypt(body, WECHAT_TOKEN, self.channels.aes_key,
                                                    self.channels.wechat_api.app_id)
            query.update(encrypted)
            if mode == "aes_bad_signature":
                query["msg_signature"] = "0" * 40
        elif mode == "aes_garbage":
            signed = sign(WECHAT_TOKEN)
            query.update(signed, encrypt_type="aes",
                         msg_signature=_sha1_sorted(WECHAT_TOKEN, signed["timestamp"], signed["nonce"], body))
            body = f"<xml><ToUserName>{strategies.cdata(ACCOUNT)}</ToUserName>" \
                   f"<Encrypt>{strategies.cdata(body)}</Encrypt></xml>"
        elif mode == "wrong_token":
            query.update(sign("not-the-token"))
        elif mode == "tampered":
            query.update({**sign(WECHAT_TOKEN), "nonce": "tampered"})
        elif mode == "old_timestamp":
            query.update(sign(WECHAT_TOKEN, timestamp=str(now - 3600)))
        elif mode == "future_timestamp":
            query.update(sign(WECHAT_TOKEN, timestamp=str(now + 3600)))
        elif mode == "bad_timestamp":
            query.update(sign(WECHAT_TOKEN, timestamp=f"{now}.0"))
        data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
        return query, data

    def check(self, example: Dict[str, Any]) -> Outcome:
        self.channels.tidy()
        query, data = self.request(example["mode"], example["body"], example["extra"])
        before = len(self.channels.agent.received)
        try:
            response = self.channels.http.post(self.channels.url("/webhooks/wechat/webhook"), params=query, data=data,
                                               timeout=30)
        except requests.RequestException as error:
            return Outcome("no answer", f"no answer: {error!r}")
        status, handed = response.status_code, len(self.channels.agent.received) - before
        outcome = Outcome(_status(response))
        if status >= 500:
            outcome.problem = f"answered {status}: {response.text[:300]}"
        elif example["mode"] not in self.SIGNED and (status != 403 or handed):
            outcome.problem = f"a request WeChat did not sign got {status} and {handed} message(s) to the bot"
        elif status >= 400 and handed:
            outcome.problem = f"answered {status} but handed {handed} message(s) to the bot"
        return outcome

    def healthy(self) -> str | None:
        """A safe-mode message is answered; a plain one is refused (the account is in safe mode)."""
        for mode, wanted in (("aes", 200), ("plain", 403)):
            msg_id = next(self._msg_ids)
            xml = FakeWeChatAPI.text_message_xml("o_health", "你好", msg_id)
            query, data = self.request(mode, xml if mode == "aes" else xml.encode("utf-8"), {})
            response = self.channels.http.post(self.channels.url("/webhooks/wechat/webhook"), params=query,
                                               data=data, timeout=30)
            text = response.text
            if mode == "aes" and response.status_code == 200:
                text = FakeWeChatAPI.decrypt_reply(text, WECHAT_TOKEN, self.channels.aes_key,
                                                   self.channels.wechat_api.app_id)
            if response.status_code != wanted or (wanted == 200 and "echo: 你好" not in text):
                return f"after the fuzz a {mode} text message got {response.status_code}: {text[:200]}"
        return None


class TelegramTarget(Target):
    """POST /webhooks/telegram/webhook: any body, with the secret header right, wrong or missing.

    Properties: never 5xx; without the right secret a 403 and nothing handed to the bot.
    """

    name = "telegram"

    def __init__(self, channels: Channels) -> None:
        self.channels = channels
        self._update_ids = iter(range(10**12, 10**13))

    def inputs(self) -> st.SearchStrategy[Any]:
        return strategies.telegram_requests()

    def explicit(self) -> List[Any]:
        return [{"secret": "right", "content_type": "application/json",
                 "body": f'{{"update_id": 1, "message": {{"message_id": 1, "chat": {{"id": 42, "type": "private"}}, '
                         f'"text": "{text}"}}}}'.encode()} for text in ("፩", "\\ud800", "1")]

    def post(self, body: bytes, secret: str | None, content_type: str = "application/json") -> requests.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        return self.channels.http.post(self.channels.url("/webhooks/telegram/webhook"), data=body, headers=headers,
                                       timeout=30)

    def check(self, example: Dict[str, Any]) -> Outcome:
        self.channels.tidy()
        secret = {"right": TELEGRAM_SECRET, "missing": None, "empty": "", "wrong": "not-the-secret",
                  "prefix": TELEGRAM_SECRET[:-1], "padded": "x" + TELEGRAM_SECRET}[example["secret"]]
        before = len(self.channels.agent.received)
        try:
            response = self.post(example["body"], secret, example["content_type"])
        except requests.RequestException as error:
            return Outcome("no answer", f"no answer: {error!r}")
        status, handed = response.status_code, len(self.channels.agent.received) - before
        outcome = Outcome(_status(response))
        if status >= 500:
            outcome.problem = f"answered {status}: {response.text[:300]}"
        elif secret != TELEGRAM_SECRET and (status != 403 or handed):
            outcome.problem = f"an update without the secret got {status} and {handed} message(s) to the bot"
        return outcome

    def healthy(self) -> str | None:
        chat_id = 880_000_001
        update = telegram_text_update(chat_id, "你好", next(self._update_ids))
        response = self.post(json.dumps(update).encode("utf-8"), TELEGRAM_SECRET)
        if response.status_code != 200:
            return f"after the fuzz a text update got {response.status_code}: {response.text[:200]}"
        sent = self.channels.telegram_api.wait_for(chat_id, 1, timeout=10)
        return None if any("echo: 你好" in body.get("text", "") for body in sent) else f"no echo: {sent}"


class RestTarget(Target):
    """POST /webhooks/rest/webhook (bot.channels.rest.RestInput), or with `channel="callback"` the callback
    channel's webhook (bot.channels.rest.CallbackInput): any body. Property: never 5xx."""

    def __init__(self, channels: Channels, channel: str = "rest") -> None:
        self.channels, self.name = channels, channel
        self.path = f"/webhooks/{channel}/webhook"

    def inputs(self) -> st.SearchStrategy[Any]:
        return strategies.rest_requests()

    def explicit(self) -> List[Any]:
        return [{"body": body, "stream": None, "content_type": "application/json"}
                for body in (b"[]", b"", b"null", b'"hi"', b'{"message": "hi"}', b'{"sender": "u", "message": 42}',
                             b'{"sender": "u", "message": "\\ud800"}', b"[" * 5000)]

    def check(self, example: Dict[str, Any]) -> Outcome:
        self.channels.tidy()
        params = {"stream": example["stream"]} if example["stream"] else None
        headers = {"Content-Type": example["content_type"]} if example["content_type"] else {}
        try:
            response = self.channels.http.post(self.channels.url(self.path), params=params,
                                               data=example["body"], headers=headers, timeout=30)
        except requests.RequestException as error:
            return Outcome("no answer", f"the connection broke: {error!r}")
        outcome = Outcome(_status(response))
        if response.status_code >= 500:
            outcome.problem = f"answered {response.status_code}: {response.text[:300]}"
        return outcome

    def healthy(self) -> str | None:
        response = self.channels.http.post(self.channels.url(self.path),
                                           json={"sender": "rest-health", "message": "你好"}, timeout=30)
        answered = response.status_code == 200 and (
            response.text == "success" if self.name == "callback" else response.json()[0]["text"] == "echo: 你好")
        if not answered:
            return f"after the fuzz a message got {response.status_code}: {response.text[:200]}"
        return None


# --- the widget (socket.io) ---------------------------------------------------------------------


class WidgetSockets:
    """Widget clients connected over long-polling, on an event loop in a thread of their own (they keep
    polling while the fuzz runs in the caller's thread)."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="widget-fuzz-clients", daemon=True)
        self.thread.start()
        self.main = self.connect("fuzz-user")
        #: A second socket: direct `connect` events land on it (they may change its session).
        self.spare = self.connect("fuzz-spare")

    def run(self, coroutine: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def connect(self, subject: str) -> Client:
        client = self.run(self._connected(subject))
        return client

    async def _connected(self, subject: str) -> Client:
        client = Client(self.channels.server.url)
        await client.connect(user_token(WIDGET_SECRET, "HS256", subject))
        return client

    def sid(self, client: Client) -> str:
        return client.sio.get_sid(NAMESPACE)

    def answers(self, client: Client, text: str = "你好") -> str | None:
        """None if the bot answers `text` on `client`'s socket, else what went wrong."""

        async def say() -> Any:
            before = len(client.all("bot_uttered"))
            await client.say(text)
            return await client.wait("bot_uttered", before + 1, timeout=10)

        try:
            reply = self.run(say())
        except AssertionError as error:
            return f"no answer to a normal message after the fuzz: {str(error)[:300]}"
        return None if reply.get("text") == f"echo: {text}" else f"unexpected answer {reply}"

    def close(self) -> None:
        for client in (self.main, self.spare):
            self.run(client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _packet_bytes(event: str, arguments: Tuple[Any, ...]) -> int:
    """About the size of the socket.io packet for `event` (JSON with ASCII escapes, binary in base64)."""
    binary = 0

    def plain(value: Any) -> Any:
        nonlocal binary
        if isinstance(value, bytes):
            binary += len(value) * 4 // 3 + 4
            return {"_placeholder": True, "num": 0}
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return len(json.dumps([event, *[plain(a) for a in arguments]], separators=(",", ":"))) + binary


def _not_digit_led_float(auth: Any) -> bool:
    return not (isinstance(auth, float) and repr(auth)[:1].isdigit())


def _widget_token(subject: str) -> str:
    return user_token(WIDGET_SECRET, "HS256", subject)


class WidgetHandlersTarget(Target):
    """The widget's socket.io event handlers, called as the server calls them for a connected socket.

    Inputs: `session_request`, `user_uttered`, `queue_status` (and other names) with no, one or several
    arguments of any shape, and `connect` with any auth. Properties: no exception escapes a handler
    (other than a refused connection), nothing is logged as an error, the socket still gets answers.
    """

    name = "socketio (handlers)"

    def __init__(self, channels: Channels, sockets: WidgetSockets) -> None:
        self.channels, self.sockets = channels, sockets
        self.sio = channels.widget.sio

    def inputs(self) -> st.SearchStrategy[Any]:
        kinds = {"event": strategies.widget_events().map(lambda event: ("event",) + event),
                 "connect": strategies.widget_auth(_widget_token).map(lambda auth: ("connect", auth))}
        return st.sampled_from(["event"] * 4 + ["connect"]).flatmap(kinds.__getitem__)

    def explicit(self) -> List[Any]:
        return [("event", "user_uttered", ({"message": "你好"}, "extra")), ("connect", {"token": "\ud800"}),
                ("event", "queue_status", ()), ("event", "session_request", (None, None))]

    def check(self, example: Tuple[Any, ...]) -> Outcome:
        self.channels.tidy()
        if example[0] == "connect":
            call = self.sio._trigger_event("connect", NAMESPACE, self.sockets.sid(self.sockets.spare), {}, example[1])
        else:
            _, event, arguments = example
            call = self.sio._trigger_event(event, NAMESPACE, self.sockets.sid(self.sockets.main), *arguments)
        with ErrorLog() as errors:
            try:
                self.channels.server.run(call, timeout=60)
                outcome = Outcome("handled")
            except socketio.exceptions.ConnectionRefusedError:
                outcome = Outcome("refused")
            except Exception as error:  # noqa: BLE001 - the broken property
                return Outcome("raised", f"the handler raised {error!r}")
        if errors.records:
            outcome.problem = f"errors logged: {errors.records[:3]}"
        return outcome

    def healthy(self) -> str | None:
        return self.sockets.answers(self.sockets.main)


class WidgetSocketTarget(Target):
    """The same events sent by a real socket.io client over long-polling, and connections with any auth.

    Properties: the socket stays connected (unless the message is over MAX_SOCKET_MESSAGE_BYTES: then
    engine.io drops it, and the client connects again); a `queue_status` call is acknowledged; a
    connection is either accepted or refused (never left without an answer); nothing is logged as an error.
    """

    name = "socketio (socket)"

    def __init__(self, channels: Channels, sockets: WidgetSockets) -> None:
        self.channels, self.sockets = channels, sockets

    def inputs(self) -> st.SearchStrategy[Any]:
        # Not a positive float as the whole auth: python-socketio reads the CONNECT packet "01.5" as ack id 1
        # and JSON ".5", fails before any handler of ours and leaves the client unanswered (a library limit).
        auths = strategies.widget_auth(_widget_token).filter(_not_digit_led_float)
        kinds = {"event": strategies.widget_events().map(lambda event: ("event",) + event),
                 "call": strategies.widget_payloads().map(lambda payload: ("call", "queue_status", payload)),
                 "connect": auths.map(lambda auth: ("connect", auth))}
        return st.sampled_from(["event"] * 7 + ["call", "call", "connect"]).flatmap(kinds.__getitem__)

    def explicit(self) -> List[Any]:
        return [("connect", {"token": "\ud800"}), ("event", "user_uttered", ({"message": "你好"}, 1, 2))]

    async def _connect(self, auth: Any) -> str:
        client = Client(self.channels.server.url)
        try:
            await client.sio.connect(client.url, auth=auth, transports=["polling"], wait=False)
            deadline = asyncio.get_running_loop().time() + 10
            while asyncio.get_running_loop().time() < deadline:
                if client.all("connect_error"):
                    return "refused"
                if NAMESPACE in client.sio.namespaces:
                    return "connected"
                await asyncio.sleep(0.01)
            return "no answer"
        finally:
            await client.close()

    def check(self, example: Tuple[Any, ...]) -> Outcome:
        self.channels.tidy()
        arguments = example[2] if example[0] == "event" else (example[2],) if example[0] == "call" else ()
        if example[0] != "connect" and _packet_bytes(example[1], arguments) > 0.9 * MAX_SOCKET_MESSAGE_BYTES:
            return self._too_large(example)
        client = self.sockets.main
        with ErrorLog() as errors:
            try:
                outcome = self.sockets.run(self._send(client, example))
            except socketio.exceptions.SocketIOError as error:  # BadNamespaceError: no longer connected
                outcome = Outcome("disconnected", f"the socket was disconnected: {error!r}")
            if not outcome.problem and not self._alive(client):
                outcome.problem = "the socket was disconnected"
        if errors.records and not outcome.problem:
            outcome.problem = f"errors logged: {errors.records[:3]}"
        if not self._alive(client):  # the next inputs need a socket (the benchmark goes on after a failure)
            self._reconnect()
        return outcome

    async def _send(self, client: Client, example: Tuple[Any, ...]) -> Outcome:
        if example[0] == "connect":
            status = await self._connect(example[1])
            if status == "no answer" and _packet_bytes("", (example[1],)) > 0.9 * MAX_SOCKET_MESSAGE_BYTES:
                return Outcome("large, dropped")  # over the size limit: engine.io drops the connection
            problem = "the server neither accepted nor refused the connection within 10 s" if status == "no answer" else None
            return Outcome(status, problem)
        if example[0] == "call":
            try:
                await client.sio.call(example[1], example[2], timeout=10)
            except socketio.exceptions.TimeoutError:
                return Outcome("no ack", "queue_status was not acknowledged within 10 s")
            return Outcome("acknowledged")
        _, event, arguments = example
        await client.sio.emit(event, arguments[0] if len(arguments) == 1 else arguments)
        await self._sent(client)
        return Outcome("sent")

    @staticmethod
    async def _sent(client: Client) -> None:
        """Waits until the POST carrying the packet has been answered, so each POST carries one message
        (a batch of several could exceed the size limit together) and a refusal shows before the next input:
        the write loop stops when the server refuses a POST, long before the client calls itself disconnected."""
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(client.sio.eio.queue.join(), 10)

    @staticmethod
    def _alive(client: Client) -> bool:
        """Connected, and still able to send (its write loop did not stop on a refused POST)."""
        return client.sio.connected and client.sio.eio.write_loop_task is not None

    def _reconnect(self) -> None:
        self.sockets.run(self.sockets.main.close())
        self.sockets.main = self.sockets.connect("fuzz-user")

    def _too_large(self, example: Tuple[Any, ...]) -> Outcome:
        """Sends a message about the size limit or over it; being disconnected for it is expected.

        The socket is replaced afterwards either way: engine.io may drop the session only once the
        whole POST has arrived, which on a loaded machine can be after any wait here, and the next
        input would then meet a session the server has already closed.
        """
        client = self.sockets.main
        try:
            if example[0] == "call":
                self.sockets.run(client.sio.call(example[1], example[2], timeout=3))
            else:
                self.sockets.run(client.sio.emit(example[1], example[2][0] if len(example[2]) == 1 else example[2]))
                self.sockets.run(self._sent(client))
        except socketio.exceptions.SocketIOError:
            pass
        for _ in range(100):
            if not client.sio.connected:
                break
            time.sleep(0.02)
        kept = client.sio.connected
        self._reconnect()
        return Outcome("large, kept" if kept else "large, dropped")

    def healthy(self) -> str | None:
        with ErrorLog() as errors:
            problem = self.sockets.answers(self.sockets.main)
        return problem or (f"errors logged: {errors.records[:3]}" if errors.records else None)


# --- the console --------------------------------------------------------------------------------


class Console:
    """The console app (aiohttp, in a thread) with FakeRasa, two agents, a senior, a supervisor, six tickets."""

    USERNAMES = ("li", "wang", "chen", "boss")

    def __init__(self, database_url: str) -> None:
        self.database = Database(database_url)
        self.rasa = FakeRasa()
        # Rasa's events in the same SQLite file: the insights and review routes read them.
        settings = Settings(database_url=database_url, agent_capacity=2,
                            tracker_db=Path(database_url.split("///", 1)[1]))
        with self.database.session() as session:
            write_conversations(session, [Script("fallback"), Script("solved"), Script("ticket", "withdraw", 3)],
                                utcnow() - timedelta(days=1), days=1)
            li = make_agent(session, "li", name="小李")
            make_agent(session, "wang", name="小王")
            make_agent(session, "chen", senior=True, name="老陈")
            make_agent(session, "boss", role=SUPERVISOR, name="主管")
            tickets = [
                make_ticket(session, "widget:u:alice", queued=True, channel="widget", contact_phone="13800000001"),
                make_ticket(session, "wechat:o_bob", queued=True, channel="wechat", contact_email="bob@example.com"),
                make_ticket(session, "telegram:42", queued=True, channel="telegram", queue="senior"),
                make_ticket(session, "callback-user", channel="callback", contact_phone="13800000002"),
                make_ticket(session, "widget:u:carol", queued=True, channel="widget", priority="high"),
                make_ticket(session, "widget:u:dave", queued=True, channel="widget", description="长" * 500),
            ]
            store.claim(session, tickets[4].id, li, 2)
            self.numbers = [ticket.number for ticket in tickets]
        application = create_app(settings, self.database, self.rasa)
        #: Every route but static files (HEAD is GET without the body): new routes are fuzzed too.
        self.routes = tuple(sorted({(route.method, route.resource.canonical) for route in application.router.routes()
                                    if route.method != "HEAD" and not isinstance(route.resource, web.StaticResource)}))
        self.app = AiohttpThread(lambda: application, free_port(), "console-fuzz")
        self.http = requests.Session()
        self.http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # Bearer tokens only: no cookies
        self.headers: Dict[str, Dict[str, str]] = {}

    def start(self) -> Console:
        self.app.start()
        self.headers = {"agent": self.sign_in("li"), "supervisor": self.sign_in("boss"), "nobody": {},
                        "forged": {"Authorization": "Bearer forged-token"}}
        return self

    def stop(self) -> None:
        self.http.close()
        self.app.stop()
        self.database.dispose()

    def sign_in(self, username: str) -> Dict[str, str]:
        """Bearer headers of a new session (with X-CSRF-Token when the console hands one out)."""
        response = self.http.post(f"{self.app.url}/api/login", json={"username": username, "password": PASSWORD},
                                  timeout=30)
        response.raise_for_status()
        body = response.json()
        headers = {"Authorization": f"Bearer {body['token']}"}
        if body.get("csrf_token"):
            headers["X-CSRF-Token"] = body["csrf_token"]
        return headers

    def snapshot(self) -> Dict[str, Tuple[Any, ...]]:
        """Each ticket's identity (number → conversation, channel, category, contact, creation) and history length."""
        with self.database.session() as session:
            tickets = session.execute(select(Ticket)).scalars().all()
            counts = session.execute(select(TicketEvent.ticket_id, func.count()).group_by(TicketEvent.ticket_id))
            history = {ticket_id: count for ticket_id, count in counts}
            return {t.number: (t.conversation_id, t.channel, t.category, t.contact_phone, t.contact_email,
                               t.description, t.created_at, history.get(t.id, 0)) for t in tickets}


class ConsoleTarget(Target):
    """Every JSON route of the console (and the ticket page) with random bodies, numbers, `after`, callers.

    Properties: never 5xx (FakeRasa stays up, so no 502/503 either); no stored data lost: every ticket
    keeps its number, conversation, channel, category, contact, description and creation time, and its
    history only grows.
    """

    name = "console"

    def __init__(self, console: Console) -> None:
        self.console = console
        self.before = console.snapshot()

    def inputs(self) -> st.SearchStrategy[Any]:
        return strategies.console_requests(self.console.routes, tuple(self.console.numbers), Console.USERNAMES,
                                           PASSWORD)

    def explicit(self) -> List[Any]:
        base = {"method": "POST", "template": "/api/tickets/{number}/notes", "number": self.console.numbers[0],
                "who": "supervisor", "after": None, "content_type": "application/json"}
        return [{**base, "body": b"[" * 5000}, {**base, "body": b'{"body": "\\ud800"}'},
                {**base, "body": b'{"body": "x"}', "content_type": "application/json; charset=no-such-charset"},
                {**base, "template": "/api/login", "number": None, "who": "nobody",
                 "body": b'{"username": "\\ud800", "password": "x"}'},
                {**base, "template": "/api/tickets/{number}", "method": "GET", "body": None, "number": "\ud800"},
                {**base, "template": "/api/tickets/{number}/claim", "number": "OK-19990101-0001",
                 "body": b'{"a": "' + b"a" * 163_000 + b'"}'}]

    def check(self, example: Dict[str, Any]) -> Outcome:
        path = example["template"]
        who = example["who"]
        if path == "/api/logout" and who in ("agent", "supervisor"):
            who = "forged"  # the fuzz keeps its sessions (signing in again may meet the sign-in throttle)
        if example["number"] is not None:
            segment = quote(example["number"].encode("utf-8", "surrogatepass"), safe="")
            path = re.sub(r"\{[^}]+\}", lambda _: segment, path)
        headers = dict(self.console.headers[who])
        if example["content_type"]:
            headers["Content-Type"] = example["content_type"]
        params = {"after": example["after"].encode("utf-8", "surrogatepass")} if example["after"] is not None else None
        try:
            response = self.console.http.request(example["method"], f"{self.console.app.url}{path}", params=params,
                                                 data=example["body"], headers=headers, timeout=30,
                                                 allow_redirects=False, stream=True)
            if response.headers.get("Content-Type", "").startswith("text/event-stream"):
                response.close()  # a live stream (GET /api/live) never ends: its answer is its status
            else:
                response.content  # noqa: B018 - read the whole body
        except requests.RequestException as error:
            return Outcome("no answer", f"no answer: {error!r}")
        outcome = Outcome(_status(response))
        if response.status_code >= 500:
            outcome.problem = f"answered {response.status_code}: {response.text[:300]}"
        elif len(example["body"] or b"") > MAX_BODY_BYTES and not self.answers_next():
            outcome.problem = "after this request the next one on the same connection got no answer"
        lost = self.lost()
        if lost and not outcome.problem:
            outcome.problem = lost
        return outcome

    def answers_next(self) -> bool:
        """A large body left unread once stalled the keep-alive connection it came on (aiohttp 3.9)."""
        try:
            self.console.http.get(f"{self.console.app.url}/api/me", headers=self.console.headers["agent"], timeout=10)
        except requests.RequestException:
            return False
        return True

    def lost(self) -> str | None:
        now = self.console.snapshot()
        for number, (*identity, history) in self.before.items():
            if number not in now:
                return f"ticket {number} disappeared"
            *current, current_history = now[number]
            if current != identity:
                return f"ticket {number} changed: {identity} → {current}"
            if current_history < history:
                return f"ticket {number} lost history: {history} → {current_history} events"
        self.before = {number: now[number] for number in self.before}
        return None

    def healthy(self) -> str | None:
        for who in ("agent", "supervisor"):
            response = self.console.http.get(f"{self.console.app.url}/api/queue", headers=self.console.headers[who],
                                             timeout=30)
            if response.status_code != 200:
                return f"after the fuzz GET /api/queue as {who} got {response.status_code}: {response.text[:200]}"
        return self.lost()


def channel_targets(channels: Channels, sockets: WidgetSockets) -> Sequence[Target]:
    return [WeChatTarget(channels), TelegramTarget(channels), RestTarget(channels), RestTarget(channels, "callback"),
            WidgetHandlersTarget(channels, sockets), WidgetSocketTarget(channels, sockets)]

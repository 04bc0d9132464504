"""A fake WeChat API server on 127.0.0.1, and helpers to write requests the way WeChat does.

    api = FakeWeChatAPI()               # serving in a thread of its own
    monkeypatch.setenv("OKPAY_WECHAT_API_URL", api.url)
    ...
    api.wait_for("o_user1", 1)          # contents sent to that user by the CS API
    api.close()

It speaks the real protocol for what the bot uses: `GET /cgi-bin/token` and
`POST /cgi-bin/message/custom/send` (text). The static helpers build signed
queries and message XML as WeChat's servers send them (plain and safe mode).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Deque, Dict, List, Set, Tuple
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

import xmltodict
from wechatpy.crypto import WeChatCrypto

ACCOUNT = "gh_okpay_fake"  # the official account's id (ToUserName)
TOKEN_LIFETIME_S = 7200


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class FakeWeChatAPI:
    """The WeChat API at `url` (ends with /cgi-bin/), for `app_id` and `app_secret`."""

    def __init__(self, app_id: str = "wx_fake_app", app_secret: str = "fake-app-secret") -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.token_requests = 0
        self.sent: List[Dict[str, str]] = []
        self._valid: Set[str] = set()
        self._expired: Set[str] = set()
        self._failures: Deque[int] = deque()
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    # --- controlling the fake ---------------------------------------------

    def fail_next(self, errcode: int) -> None:
        """The next customer-service send answers `errcode` (queued: call twice for two)."""
        with self._changed:
            self._failures.append(errcode)

    def expire_tokens(self) -> None:
        """Every token handed out so far is expired (errcode 42001 until a new one is fetched)."""
        with self._changed:
            self._expired |= self._valid
            self._valid.clear()

    def wait_for(self, touser: str, count: int = 1, timeout: float = 5.0) -> List[str]:
        """The contents sent to `touser`, once there are at least `count` (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                contents = [m["content"] for m in self.sent if m["touser"] == touser]
                remaining = deadline - time.monotonic()
                if len(contents) >= count or remaining <= 0:
                    break
                self._changed.wait(remaining)
        assert len(contents) >= count, f"{touser} got {contents}, expected {count} message(s)"
        return contents

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeWeChatAPI:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # --- the API --------------------------------------------------------------

    def _token(self, query: Dict[str, str]) -> Dict[str, Any]:
        with self._changed:
            self.token_requests += 1
            if query.get("grant_type") != "client_credential":
                return {"errcode": 40002, "errmsg": "invalid grant_type"}
            if query.get("appid") != self.app_id:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if query.get("secret") != self.app_secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = secrets.token_urlsafe(24)
            self._valid.add(token)
            return {"access_token": token, "expires_in": TOKEN_LIFETIME_S}

    def _send(self, query: Dict[str, str], body: bytes) -> Dict[str, Any]:
        with self._changed:
            token = query.get("access_token", "")
            if token in self._expired:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if token not in self._valid:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            try:
                data = json.loads(body.decode("utf-8"))
            except ValueError:
                return {"errcode": 47001, "errmsg": "data format error"}
            if not isinstance(data, dict) or not data.get("touser"):
                return {"errcode": 40003, "errmsg": "invalid openid"}
            if data.get("msgtype") != "text" or not (data.get("text") or {}).get("content"):
                return {"errcode": 40008, "errmsg": "invalid message type"}
            if self._failures:
                errcode = self._failures.popleft()
                return {"errcode": errcode, "errmsg": f"fake failure {errcode}"}
            self.sent.append({"touser": data["touser"], "content": data["text"]["content"]})
            self._changed.notify_all()
            return {"errcode": 0, "errmsg": "ok"}

    def _handler_class(self) -> type:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, payload: Dict[str, Any]) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _route(self) -> Tuple[str, Dict[str, str]]:
                parsed = urlparse(self.path)
                return parsed.path, {key: values[0] for key, values in parse_qs(parsed.query).items()}

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path, query = self._route()
                if path == "/cgi-bin/token":
                    self._answer(200, api._token(query))
                else:
                    self._answer(404, {"errcode": 404, "errmsg": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                path, query = self._route()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if path == "/cgi-bin/message/custom/send":
                    self._answer(200, api._send(query, body))
                else:
                    self._answer(404, {"errcode": 404, "errmsg": "not found"})

            def log_message(self, *_: Any) -> None:
                pass

        return Handler

    # --- requests as WeChat sends them ----------------------------------------

    @staticmethod
    def signed_query(token: str, timestamp: str | None = None, nonce: str | None = None) -> Dict[str, str]:
        """`signature`, `timestamp` and `nonce` as WeChat puts them in every webhook URL."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**9))
        signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()
        return {"signature": signature, "timestamp": timestamp, "nonce": nonce}

    @staticmethod
    def text_message_xml(openid: str, text: str, msg_id: int | str, account: str = ACCOUNT) -> str:
        return (
            f"<xml><ToUserName>{_cdata(account)}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{_cdata(text)}</Content><MsgId>{escape(str(msg_id))}</MsgId></xml>"
        )

    @staticmethod
    def event_xml(openid: str, event: str, create_time: int | None = None, account: str = ACCOUNT,
                  event_key: str = "") -> str:
        """An event (subscribe, unsubscribe, CLICK …); same `create_time` = a retry of the same event."""
        return (
            f"<xml><ToUserName>{_cdata(account)}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event>{_cdata(event)}</Event><EventKey>{_cdata(event_key)}</EventKey></xml>"
        )

    @staticmethod
    def media_message_xml(openid: str, msg_type: str, msg_id: int | str, account: str = ACCOUNT) -> str:
        """An image, voice, video, shortvideo, location, link or file message (with plausible fields)."""
        extra = {
            "image": "<PicUrl><![CDATA[http://mmbiz.qpic.cn/fake.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>",
            "voice": "<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>",
            "video": "<MediaId><![CDATA[m1]]></MediaId><ThumbMediaId><![CDATA[t1]]></ThumbMediaId>",
            "shortvideo": "<MediaId><![CDATA[m1]]></MediaId><ThumbMediaId><![CDATA[t1]]></ThumbMediaId>",
            "location": "<Location_X>31.23</Location_X><Location_Y>121.47</Location_Y><Scale>15</Scale>"
                        "<Label><![CDATA[Shanghai]]></Label>",
            "link": "<Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description>"
                    "<Url><![CDATA[http://example.com/]]></Url>",
            "file": "<Title><![CDATA[a.pdf]]></Title><FileKey><![CDATA[k]]></FileKey>",
        }.get(msg_type, "")
        return (
            f"<xml><ToUserName>{_cdata(account)}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{_cdata(msg_type)}</MsgType>{extra}"
            f"<MsgId>{escape(str(msg_id))}</MsgId></xml>"
        )

    @staticmethod
    def new_aes_key() -> str:
        """A random EncodingAESKey (43 characters), as the account's 基本配置 page makes one."""
        return base64.b64encode(os.urandom(32)).decode("ascii").rstrip("=")

    @staticmethod
    def encrypt(xml: str, token: str, aes_key: str, app_id: str, account: str = ACCOUNT) -> Tuple[str, Dict[str, str]]:
        """`xml` as WeChat sends it in safe mode: the body, and the query (signature, msg_signature …)."""
        query = FakeWeChatAPI.signed_query(token)
        envelope = WeChatCrypto(token, aes_key, app_id).encrypt_message(xml, query["nonce"], query["timestamp"])
        fields = xmltodict.parse(envelope)["xml"]
        sender = re.search(r"<FromUserName>(?:<!\[CDATA\[)?(.*?)(?:]]>)?</FromUserName>", xml)
        openid = sender.group(1) if sender else ""  # not parsed: tests encrypt hostile XML too
        body = f"<xml><ToUserName>{_cdata(account)}</ToUserName><Encrypt>{_cdata(fields['Encrypt'])}</Encrypt></xml>"
        return body, {**query, "encrypt_type": "aes", "msg_signature": fields["MsgSignature"], "openid": openid}

    @staticmethod
    def decrypt_reply(body: str, token: str, aes_key: str, app_id: str) -> str:
        """The plain XML of a safe-mode passive reply (checks its MsgSignature, as WeChat does)."""
        fields = xmltodict.parse(body)["xml"]
        return WeChatCrypto(token, aes_key, app_id).decrypt_message(
            fields, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
        )

    @staticmethod
    def parse_reply(xml: str) -> Dict[str, str]:
        """A passive reply's fields (ToUserName, FromUserName, MsgType, Content …)."""
        return dict(xmltodict.parse(xml)["xml"])

"""What the fuzzing sends: Hypothesis strategies for hostile text, JSON, WeChat XML, Telegram updates,
socket.io events and console requests.

Each endpoint gets both noise (random bytes, random JSON) and its real
shapes with random values, missing, extra and wrongly typed fields
(`mutated`), so the fuzz reaches past the parsers. Used by tests/fuzz and
benchmarks/fuzz_benchmark.py through `tests.fuzz.targets`.
"""
from __future__ import annotations

import base64
import copy
import json
from functools import cache
from typing import Any, Callable, Dict, List, Sequence, Tuple
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from tests.fakes import telegram_api as telegram
from tests.fakes.wechat_api import FakeWeChatAPI

SearchStrategy = st.SearchStrategy

# --- text -------------------------------------------------------------------------

#: Strings that break parsers, number readers, command readers and templates.
SPECIAL_STRINGS = [
    "", " ", "\n", "\t\r\n", "\u3000", "0", "1", "2", "３", " 2 。", "-1", "+1", "1.5", "1e9", "1_000",
    "99999999999999999999", "1" * 1999, "9" * 5000,
    "፩", "𐩀", "①", "²", "٣", "五",  # digits str.isdigit() accepts and int() may refuse
    "/start", "/start@okpay_bot campaign", "/EXTERNAL_handoff_resolved", "/EXTERNAL_unsupported_message",
    "/restart", "/greet", "/", "//", "取消", "转人工", "解决了", "查询工单 OK-20261121-0007", "OK-20261121-0007",
    "😀", "👨‍👩‍👧‍👦", "🇨🇳", "\u202e", "\u200b", "\ufeff", "\ufffe", "\uffff", "\U0010ffff",
    "\x00", "\x01", "\x08", "\x1b[31m", "\x7f", "\x85",
    "\ud800", "\udfff", "\ud83d",  # lone surrogates: JSON can carry them ("\ud800"), UTF-8 cannot
    "]]>", "<![CDATA[", "&amp;", "&#0;", "&#x110000;", "&lt;xml&gt;", "<xml>", "</xml>", "'\"", "%s%n", "{0}",
    "${jndi:ldap://x}", "null", "true", "[]", "{}", "NaN", "../../etc/passwd", "a" * 300,
]
HUGE_UNITS = ["长", "😀", "a", "1", " ", "\x00", "<", "]]>", "&amp;", "\ud800"]


@cache
def huge_texts(low: int = 1_000, high: int = 40_000) -> SearchStrategy[str]:
    """Long strings, built by repetition (Hypothesis would spend its whole budget drawing them)."""
    return st.builds(lambda unit, count: unit * count, st.sampled_from(HUGE_UNITS), st.integers(low, high))


@cache
def texts(surrogates: bool = True) -> SearchStrategy[str]:
    specials = SPECIAL_STRINGS if surrogates else [s for s in SPECIAL_STRINGS if not _has_surrogate(s)]
    piece = st.one_of(st.text(max_size=30), st.sampled_from(specials))
    strategies = [st.text(), st.sampled_from(specials), st.lists(piece, max_size=6).map("".join), huge_texts()]
    if not surrogates:
        strategies[-1] = strategies[-1].map(lambda text: text.replace("\ud800", "?"))
    return st.one_of(*strategies)


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


@cache
def integers() -> SearchStrategy[int]:
    edges = [0, 1, -1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)]
    return st.one_of(st.integers(), st.integers(-(2**70), 2**70), st.sampled_from(edges))


# --- JSON -------------------------------------------------------------------------

KNOWN_KEYS = ["sender", "message", "text", "body", "status", "agent", "queue", "username", "password",
              "session_id", "customData", "token", "display", "metadata", "input_channel", "update_id",
              "chat", "id", "type", "data", "from", "callback_query", "edited_message", "message_id"]


@cache
def json_scalars() -> SearchStrategy[Any]:
    return st.one_of(st.none(), st.booleans(), integers(), st.floats(), texts())


@cache
def json_values(max_leaves: int = 12) -> SearchStrategy[Any]:
    keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=10))
    return st.recursive(
        json_scalars(),
        lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
        max_leaves=max_leaves,
    )


@cache
@st.composite
def mutated(draw: Any, shapes: SearchStrategy[Any]) -> Any:
    """A value of `shapes` with up to three random changes: a field replaced, removed or added, at any depth."""
    value = copy.deepcopy(draw(shapes))
    for _ in range(draw(st.integers(0, 3))):
        value = _mutate(draw, value)
    return value


def _mutate(draw: Any, value: Any) -> Any:
    if isinstance(value, (dict, list)) and value and draw(st.booleans()):  # go down
        key = draw(st.sampled_from(list(value) if isinstance(value, dict) else range(len(value))))
        value[key] = _mutate(draw, value[key])
        return value
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "remove" and isinstance(value, dict) and value:
        del value[draw(st.sampled_from(list(value)))]
    elif action == "remove" and isinstance(value, list) and value:
        del value[draw(st.integers(0, len(value) - 1))]
    elif action == "add" and isinstance(value, dict):
        value[draw(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8)))] = draw(json_values(4))
    elif action == "add" and isinstance(value, list):
        value.append(draw(json_values(4)))
    else:
        value = draw(json_values(6))
    return value


def encode_json(value: Any, ascii_only: bool) -> bytes:
    """JSON as a client could send it: ASCII escapes ("\\ud800"), or raw UTF-8 (lone surrogates as invalid bytes)."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@cache
def deep_nesting() -> SearchStrategy[bytes]:
    """[[[[…]]]] and {"a":{"a":…}}: deep enough to exceed Python's recursion limit (or the size limit)."""
    shapes = st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"message":[', "]}")])
    return st.builds(lambda shape, depth: (shape[0] * depth + "1" + shape[1] * depth).encode("ascii"),
                     shapes, st.integers(1, 30_000))


@cache
@st.composite
def json_bodies(draw: Any, shapes: SearchStrategy[Any]) -> bytes:
    """A request body: mostly `shapes` (mutated) as JSON, else noise, truncated or invalid UTF-8 JSON, deep nesting."""
    kind = draw(st.sampled_from(["shaped", "shaped", "shaped", "any_json", "bytes", "nested", "truncated", "bad_utf8"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "nested":
        return draw(deep_nesting())
    value = draw(json_values()) if kind == "any_json" else draw(mutated(shapes))
    body = encode_json(value, ascii_only=draw(st.booleans()))
    if kind == "truncated":
        return body[: draw(st.integers(0, max(0, len(body) - 1)))]
    if kind == "bad_utf8" and body:
        at = draw(st.integers(0, len(body)))
        return body[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf"])) + body[at:]
    return body


# --- WeChat XML -----------------------------------------------------------------------

WECHAT_FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey",
                 "MediaId", "PicUrl", "Format", "Recognition", "ThumbMediaId", "Location_X", "Location_Y", "Scale",
                 "Label", "Title", "Description", "Url", "Encrypt", "MsgDataId", "Idx"]
MSG_TYPES = ["text", "image", "voice", "video", "shortvideo", "location", "link", "file", "event", "miniprogrampage",
             "TEXT", " text ", "Event", ""]
EVENTS = ["subscribe", "unsubscribe", "SUBSCRIBE", "CLICK", "VIEW", "SCAN", "LOCATION", "TEMPLATESENDJOBFINISH", ""]
PROLOGS = [
    "", '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?>\n', '<?xml version="1.1"?>',
    '<?xml version="1.0" encoding="GBK"?>', '<?xml version="1.0" encoding="no-such-encoding"?>', "\ufeff",
    "<!-- a comment -->", '<?php echo 1; ?>', "<!DOCTYPE xml>",
    '<!DOCTYPE xml [<!ENTITY e "bomb">]>',
    '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">',
    '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>',
]
EPILOGS = ["", "\n", "<xml/>", "<!-- tail -->", "garbage", "\x00", "]]>"]
ENTITY_REFERENCES = ["&e;", "&c;", "&xxe;", "&amp;", "&#20320;", "&#x1F600;", "&#0;", "&nosuch;"]


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


xml_names = st.one_of(
    st.sampled_from(WECHAT_FIELDS + ["xml", "a", "x:y", "_", "MsgType"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.:-]{0,12}", fullmatch=True),
    st.text(min_size=1, max_size=6),  # mostly not a valid XML name
)


@cache
@st.composite
def xml_values(draw: Any) -> str:
    """An element's content: CDATA (split on "]]>"), escaped or raw text, an entity reference, or nothing."""
    text = draw(texts())
    how = draw(st.sampled_from(["cdata", "cdata", "escaped", "raw", "entity", "empty", "broken_cdata"]))
    if how == "cdata":
        return cdata(text)
    if how == "escaped":
        return escape(text)
    if how == "entity":
        return escape(text) + draw(st.sampled_from(ENTITY_REFERENCES))
    if how == "empty":
        return ""
    if how == "broken_cdata":
        return "<![CDATA[" + text
    return text


def _element(name: str, attributes: Dict[str, str], children: List[str]) -> str:
    attrs = "".join(f" {key}={quoteattr(value)}" for key, value in attributes.items())
    return f"<{name}{attrs}>{''.join(children)}</{name}>"


@cache
def xml_trees() -> SearchStrategy[str]:
    """Well-formed-looking XML with random element names, attributes, values and nesting."""
    attributes = st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True), st.text(max_size=10),
                                 max_size=2)
    content = st.recursive(
        xml_values(),
        lambda children: st.builds(_element, xml_names, attributes, st.lists(children, max_size=4)),
        max_leaves=12,
    )
    root = st.one_of(st.just("xml"), xml_names)
    return st.builds(lambda name, children: f"<{name}>{''.join(children)}</{name}>", root,
                     st.lists(content, max_size=6))


@cache
@st.composite
def wechat_messages(draw: Any) -> str:
    """A WeChat push (text, media, event or unknown type) with random values, fields missing, repeated or extra."""
    msg_type = draw(st.one_of(st.sampled_from(MSG_TYPES), texts()))
    fields: List[Tuple[str, str]] = [
        ("ToUserName", cdata(draw(st.one_of(st.just("gh_okpay_fake"), texts())))),
        ("FromUserName", cdata(draw(st.one_of(st.sampled_from(["o_user1", "o_user2"]), texts())))),
        ("CreateTime", draw(st.one_of(integers().map(str), xml_values()))),
        ("MsgType", draw(st.one_of(st.just(cdata(msg_type)), st.just(escape(msg_type)), xml_values()))),
    ]
    if draw(st.booleans()):
        fields.append(("Content", draw(xml_values())))
    if msg_type.strip().lower() == "event" or draw(st.booleans()):
        fields.append(("Event", cdata(draw(st.one_of(st.sampled_from(EVENTS), texts())))))
        fields.append(("EventKey", draw(xml_values())))
    if draw(st.booleans()):
        fields.append(("MsgId", draw(st.one_of(integers().map(str), xml_values()))))
    fields.extend(draw(st.lists(st.tuples(st.one_of(st.sampled_from(WECHAT_FIELDS), xml_names), xml_values()),
                                max_size=3)))
    fields = [field for field in fields if draw(st.integers(0, 9)) != 0]  # drop about one in ten
    fields += draw(st.lists(st.sampled_from(fields), max_size=2)) if fields else []  # repeat some
    order = draw(st.permutations(range(len(fields))))
    body = "".join(f"<{fields[i][0]}>{fields[i][1]}</{fields[i][0]}>" for i in order)
    if draw(st.integers(0, 5)) == 0:  # a field holding elements instead of text
        body += f"<Content>{draw(xml_trees())}</Content>"
    return draw(st.sampled_from(PROLOGS)) + f"<xml>{body}</xml>" + draw(st.sampled_from(EPILOGS))


@cache
@st.composite
def encoded(draw: Any, documents: SearchStrategy[str]) -> bytes:
    """A document in the bytes a client sends: UTF-8 (lone surrogates as invalid bytes), UTF-16 or GB18030."""
    document = draw(documents)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "gb18030"]))
    errors = "replace" if encoding == "gb18030" else "surrogatepass"
    return document.encode(encoding, errors)


def xml_legal(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF)."""
    return "".join(char for char in text if char in "\t\n\r" or "\x20" <= char <= "\ud7ff"
                   or "\ue000" <= char <= "\ufffd" or char >= "\U00010000")


@cache
@st.composite
def real_wechat_messages(draw: Any) -> str:
    """A message as WeChat sends it (tests/fakes/wechat_api.py builders) with random, XML-legal values:
    the ones that reach the bot."""
    openid = xml_legal(draw(st.one_of(st.sampled_from(["o_user1", "o_user2", "o_user3"]), texts()))) or "o_user1"
    kind = draw(st.sampled_from(["text", "text", "text", "number", "event", "media"]))
    if kind in ("text", "number"):
        text = draw(st.sampled_from(["1", "2", "3", "２", "0", "99", "①"])) if kind == "number" else draw(texts())
        return FakeWeChatAPI.text_message_xml(openid, xml_legal(text), draw(integers()))
    if kind == "event":
        return FakeWeChatAPI.event_xml(openid, xml_legal(draw(st.one_of(st.sampled_from(EVENTS), texts()))),
                                       draw(st.integers(0, 2**40)), event_key=xml_legal(draw(texts())))
    return FakeWeChatAPI.media_message_xml(openid, xml_legal(draw(st.one_of(st.sampled_from(MSG_TYPES), texts()))),
                                           draw(integers()))


@cache
def wechat_bodies() -> SearchStrategy[bytes]:
    """What a POST to the WeChat webhook carries: noise, random XML, a hostile message, or a real one."""
    return st.one_of(
        st.binary(max_size=300),
        texts().map(lambda text: text.encode("utf-8", "surrogatepass")),
        encoded(xml_trees()),
        encoded(wechat_messages()),
        encoded(wechat_messages()),
        real_wechat_messages().map(lambda xml: xml.encode("utf-8")),
        real_wechat_messages().map(lambda xml: xml.encode("utf-8")),
    )


def without_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


@cache
@st.composite
def wechat_requests(draw: Any) -> Dict[str, Any]:
    """One webhook request, as data; its signature is computed when it is sent (it carries a timestamp).

    mode: "plain" (signed), "aes" (signed, the XML encrypted in safe mode), "aes_garbage" (signed, a random
    Encrypt with a matching msg_signature), "aes_bad_signature", or a request WeChat did not sign:
    "unsigned", "wrong_token", "tampered", "old_timestamp", "future_timestamp", "bad_timestamp".
    """
    mode = draw(st.sampled_from(["plain"] * 6 + ["aes"] * 3 + ["aes_garbage", "aes_bad_signature", "unsigned",
                                                                 "wrong_token", "tampered", "old_timestamp",
                                                                 "future_timestamp", "bad_timestamp"]))
    if mode in ("aes", "aes_bad_signature"):
        body: Any = without_surrogates(draw(st.one_of(wechat_messages(), xml_trees(), real_wechat_messages(),
                                                      real_wechat_messages())))
    elif mode == "aes_garbage":
        body = draw(st.one_of(st.text(max_size=200), st.binary(max_size=120).map(_base64)))
    else:
        body = draw(wechat_bodies())
    extra = draw(st.dictionaries(st.sampled_from(["echostr", "openid", "encrypt_type", "x"]),
                                 st.text(alphabet=st.characters(codec="ascii"), max_size=10), max_size=2))
    return {"mode": mode, "body": body, "extra": extra}


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- Telegram -------------------------------------------------------------------------

TELEGRAM_KINDS = ["text", "text", "text", "number", "command", "edited", "callback", "callback_inline", "photo",
                  "voice", "video", "document", "sticker", "location", "contact", "channel_post",
                  "my_chat_member", "service", "empty"]


@cache
@st.composite
def telegram_shapes(draw: Any) -> Dict[str, Any]:
    """A valid-shaped update of a random kind, with random ids and text."""
    kind = draw(st.sampled_from(TELEGRAM_KINDS))
    chat_id = draw(st.one_of(st.integers(-(10**13), 10**13), integers()))
    update_id = draw(integers())
    text = draw(texts())
    if kind in ("text", "number", "command"):
        if kind == "number":
            text = draw(st.sampled_from(["1", "2", "3", "０", "99", " 1 。", "፩", "①"]))
        elif kind == "command":
            text = "/" + draw(st.sampled_from(["start", "start@okpay_bot", "help", "EXTERNAL_x"])) + text[:20]
        update = telegram.text_update(chat_id, text, update_id)
    elif kind == "edited":
        update = telegram.edited_update(chat_id, text, update_id)
    elif kind in ("callback", "callback_inline"):
        update = telegram.callback_update(chat_id, draw(st.one_of(st.sampled_from(["/affirm", "/deny", ""]), texts())),
                                          update_id, draw(integers()), draw(st.text(max_size=20)) or None)
        if kind == "callback_inline":
            del update["callback_query"]["message"]
    elif kind == "channel_post":
        update = telegram.channel_post_update(chat_id, text, update_id)
    elif kind == "my_chat_member":
        update = telegram.my_chat_member_update(chat_id, update_id)
    elif kind == "service":
        update = telegram.message_update(chat_id, update_id, new_chat_title=text)
    elif kind == "empty":
        update = {"update_id": update_id}
    else:
        update = getattr(telegram, f"{kind}_update")(chat_id, update_id)
    chat = (update.get("message") or {}).get("chat")
    if chat is not None and draw(st.integers(0, 4)) == 0:
        chat["type"] = draw(st.one_of(st.sampled_from(["private", "group", "supergroup", "channel"]), texts()))
    return _fixed_counters(update, draw(st.integers(1, 10**6)))


def _fixed_counters(value: Any, message_id: int) -> Any:
    """The fake's running message ids and clock replaced by drawn values: Hypothesis must get the same
    bytes for the same draws (a counter passing 999 → 1000 made the JSON longer between two runs)."""
    if isinstance(value, dict):
        return {key: message_id if key == "message_id" else 1_764_000_000 if key in ("date", "edit_date")
                else _fixed_counters(item, message_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_fixed_counters(item, message_id) for item in value]
    return value


TELEGRAM_CONTENT_TYPES = ["application/json", "application/json", "application/json; charset=utf-8", "text/plain",
                          "application/x-www-form-urlencoded", ""]


@cache
@st.composite
def telegram_requests(draw: Any) -> Dict[str, Any]:
    """A webhook POST: a body (mostly a mutated update), the secret header (right, wrong or missing), a type."""
    secret = draw(st.sampled_from(["right"] * 8 + ["missing", "empty", "wrong", "prefix", "padded"]))
    return {"secret": secret, "body": draw(json_bodies(telegram_shapes())),
            "content_type": draw(st.sampled_from(TELEGRAM_CONTENT_TYPES))}


# --- REST ---------------------------------------------------------------------------------

@cache
def rest_shapes() -> SearchStrategy[Dict[str, Any]]:
    return st.fixed_dictionaries(
        {"sender": st.one_of(st.sampled_from(["u1", "user-2"]), texts()), "message": texts()},
        optional={"metadata": json_values(6), "input_channel": st.one_of(st.just("rest"), texts())},
    )


@cache
@st.composite
def rest_requests(draw: Any) -> Dict[str, Any]:
    return {"body": draw(json_bodies(rest_shapes())), "stream": draw(st.sampled_from([None, None, "true", "false", "x"])),
            "content_type": draw(st.sampled_from(TELEGRAM_CONTENT_TYPES))}


# --- socket.io (widget) -----------------------------------------------------------------

WIDGET_EVENTS = ["session_request", "user_uttered", "user_uttered", "user_uttered", "queue_status"]


@cache
def widget_payloads() -> SearchStrategy[Any]:
    shaped = st.fixed_dictionaries(
        {"message": st.one_of(texts(), json_values(4))},
        optional={key: json_values(4) for key in ("display", "session_id", "customData", "token")},
    )
    return st.one_of(mutated(shaped), json_values(), st.binary(max_size=100))


@cache
def widget_events() -> SearchStrategy[Tuple[str, Tuple[Any, ...]]]:
    """An event name (mostly the widget's own) and its arguments: none, one payload, or several."""
    name = st.one_of(st.sampled_from(WIDGET_EVENTS), st.text(max_size=20).filter(lambda n: n not in RESERVED_EVENTS))
    arguments = st.one_of(widget_payloads().map(lambda payload: (payload,)),
                          st.lists(widget_payloads(), max_size=3).map(tuple))
    return st.tuples(name, arguments)


#: Names socket.io keeps for itself (a client's event with one of them is refused before any handler).
RESERVED_EVENTS = {"connect", "connect_error", "disconnect", "message"}


@cache
def widget_auth(valid_tokens: Callable[[str], str]) -> SearchStrategy[Any]:
    """What a widget sends when it connects: nothing, a token (valid for a random subject, or not), or junk."""
    subjects = st.one_of(st.sampled_from(["alice", "bob"]), st.text(min_size=1, max_size=200))
    token = st.one_of(subjects.map(valid_tokens), texts(), json_values(4),
                      st.sampled_from(["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."]))
    return st.one_of(st.none(), st.fixed_dictionaries({"token": token}), json_values(4))


# --- console -------------------------------------------------------------------------------

CONSOLE_CONTENT_TYPES = ["application/json"] * 6 + [
    "application/json; charset=utf-8", "application/json; charset=latin-1", "application/json; charset=utf-16",
    "application/json; charset=no-such-charset", "text/plain", "application/x-www-form-urlencoded", "",
]


@cache
def console_shapes(path: str, usernames: Sequence[str], password: str) -> SearchStrategy[Dict[str, Any]]:
    """The body each route reads, with plausible and random values."""
    name = st.one_of(st.sampled_from(list(usernames)), texts())
    if path == "/api/login":
        return st.fixed_dictionaries({"username": name, "password": st.one_of(st.just(password), texts())})
    if path == "/api/presence":
        return st.fixed_dictionaries({"status": st.one_of(st.sampled_from(["online", "away"]), json_values(4))})
    if path.endswith("/reply"):
        return st.fixed_dictionaries({"text": texts()})
    if path.endswith("/notes"):
        return st.fixed_dictionaries({"body": texts()})
    if path.endswith("/transfer"):
        return st.fixed_dictionaries({}, optional={"agent": name, "queue": st.one_of(
            st.sampled_from(["senior", "general"]), json_values(4))})
    return st.just({})


@cache
def path_segments(known: Sequence[str]) -> SearchStrategy[str]:
    """A ticket number: a real one, a well-formed unknown one, or any text (sent percent-encoded)."""
    return st.one_of(st.sampled_from(list(known)), st.just("OK-19990101-0001"), texts(),
                     st.sampled_from(["..", ".", "%", "%00", "%2F", "a/b", "?", "#", " "]))


@cache
@st.composite
def console_requests(draw: Any, routes: Sequence[Tuple[str, str]], numbers: Sequence[str], usernames: Sequence[str],
                     password: str) -> Dict[str, Any]:
    """One call of one of `routes` (method, path with "{number}"): path parameter, `after`, caller, body, type."""
    method, template = draw(st.sampled_from(list(routes)))
    request: Dict[str, Any] = {"method": method, "template": template,
                               "number": draw(path_segments(numbers)) if "{" in template else None,
                               "who": draw(st.sampled_from(["agent", "agent", "supervisor", "supervisor", "nobody",
                                                            "forged"])),
                               "after": None, "body": None, "content_type": None}
    if template.endswith("/transcript") and draw(st.booleans()):
        request["after"] = draw(st.one_of(integers().map(str), texts()))
    if method == "POST":
        request["body"] = draw(json_bodies(console_shapes(template, usernames, password)))
        request["content_type"] = draw(st.sampled_from(CONSOLE_CONTENT_TYPES))
    return request

"""WeChat's XML, read safely: no DOCTYPE, no entities, and only what the channel needs.

xmltodict (and wechatpy, which uses it) expand entities declared in the
document, so a body could declare "billion laughs" or external entities.
`parse_xml` first runs the stdlib expat parser with handlers that refuse any
DOCTYPE or entity declaration (as defusedxml does), and parses only then.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict
from xml.parsers import expat

import xmltodict

from bot.channels.common import valid_user_id

#: WeChat message types the bot cannot read, and the kind it is told.
UNSUPPORTED_KINDS = {
    "image": "image",
    "voice": "voice",
    "video": "video",
    "shortvideo": "video",
    "location": "location",
    "link": "link",
    "file": "file",
}


class BadXML(ValueError):
    """The body is not a WeChat message: malformed, unsafe or missing a field."""


def _refuse(*_: Any) -> None:
    raise BadXML("DOCTYPE and entity declarations are not accepted")


def check_safe(data: bytes) -> None:
    """Raises BadXML if `data` is malformed or declares a DOCTYPE or an entity."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    try:
        parser.Parse(data, True)
    except BadXML:
        raise
    except (expat.ExpatError, LookupError, ValueError) as error:
        # LookupError: an unknown encoding declared; ValueError: a multi-byte one (GBK, Big5 …) that
        # expat cannot read. Both were 500s (found by tests/fuzz).
        raise BadXML(f"malformed XML: {error}") from error


def parse_xml(data: bytes) -> Dict[str, Any]:
    """The children of the `<xml>` root as a dict, after `check_safe`."""
    check_safe(data)
    document = xmltodict.parse(data)
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise BadXML("the root element must be <xml> with children")
    return root


def _field(fields: Dict[str, Any], name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class Incoming:
    """One message or event pushed by WeChat."""

    openid: str
    #: The official account's id (ToUserName): the sender of our reply.
    account: str
    msg_type: str
    fields: Dict[str, Any]

    @classmethod
    def from_fields(cls, fields: Dict[str, Any]) -> Incoming:
        openid, msg_type = _field(fields, "FromUserName"), _field(fields, "MsgType").lower()
        if not openid or not msg_type:
            raise BadXML("MsgType and FromUserName are required")
        if not valid_user_id(openid):
            raise BadXML("FromUserName is not an openid")
        return cls(openid, _field(fields, "ToUserName"), msg_type, fields)

    @property
    def msg_id(self) -> str:
        return _field(self.fields, "MsgId")

    @property
    def event(self) -> str:
        return _field(self.fields, "Event").lower()

    @property
    def content(self) -> str:
        value = self.fields.get("Content")
        return value if isinstance(value, str) else ""

    @property
    def unsupported_kind(self) -> str:
        """What the bot is told a non-text message was (image, voice … other)."""
        return UNSUPPORTED_KINDS.get(self.msg_type, "other")

    @property
    def replay_key(self) -> str:
        """Same for every delivery of this message: sender+MsgId, or sender+time+event for events.

        The sender is part of it, so a request that names someone else's MsgId
        can never be answered with the reply saved for that user.
        """
        if self.msg_id:
            return f"wechat:{self.openid}:{self.msg_id}"
        return f"wechat:{self.openid}:{_field(self.fields, 'CreateTime')}:{self.event}"

"""Passwords in a message: the value after a password word, however it is introduced.

Words: 密码 / 密碼 (支付密码, 登录密码, 交易密码 …), 口令, mima, password, passwd,
passcode, passphrase, pass, pwd, pw, PIN.

Between the word and the value, at most twice: spaces, ":" "：" "=", a verb
(是, 为, 叫, 叫做, 就是, 一直是, 应该是, 改成, 改为, 设成, 设为, 设的, 设的是, 设置成,
换成, 用的是 …, also with 了 and with 我 before: "密码我设的是"), "is" / "was",
or the pinyin "shi" / "wei"; then maybe an opening quote.

The value:

- in quotes, after a verb, ":" or "is": what is between them;
- starting with an ASCII character: up to the next space or non-ASCII
  character (64 at most), with up to two more groups of digits after a space
  ("abc 123"). After a Chinese word and a verb or ":", any value of 3
  characters or more; after an English word and ":" or after "is", one that is
  not a plain lower-case word ("password is wrong", "make the test pass: that"
  are not secrets); after nothing ("密码 12345678", "PIN 1234") one of 4 or more
  with a digit;
- starting with Chinese characters, after a verb, ":" or "is": Chinese
  characters followed by ASCII ones ("我爱你1314", "张三abc"); Chinese
  characters alone only after 叫 / ":" / "=" (or 口令 是): "我的密码叫 小白兔",
  not "密码是我生日"; neither when they start like a question, a remark or an
  instruction (叫什么, ：不对, ：忘了, ：打开App).

English words are whole words ("reset_password", "bypass", "passport" are
not). Not values: lengths ("密码是8-16位"), values already hidden by the user
("******", "xxx"), and words ("忘记密码了", "密码错误", "密码是什么意思").
"""
from __future__ import annotations

import re
from typing import List

from bot.privacy.kinds import PASSWORD, Span

_PASSWORD_WORD = re.compile(
    r"密码|密碼|口令|(?<![A-Za-z_])(?:password|passwd|passcode|passphrase|pass|pwd|pw|pin|mima)(?![A-Za-z0-9_])(?:码|碼)?",
    re.I,
)
_VERB = (
    r"(?:叫做|叫|就是|也是|还是|還是|都是|一直是|应该是|應該是|本来是|本來是|原来是|原來是|其实是|其實是|用的是|是|为|為"
    r"|改成(?!功)|改为|改為|设成|設成|设为|設為|设置成|設置成|设置为|設置為|设的是|設的是|设的|設的|换成|換成|变成|變成)了?"
)
_SEPARATOR = re.compile(
    rf"\s{{0,3}}(?:(?:我把它|我把|我)?{_VERB}\s{{0,3}}|[:：=]\s{{0,3}}|(?:is|was|shi|wei|jiushi)\s{{1,3}}){{0,2}}"
    r"(?P<quote>[\"“‘「『]?)",
    re.I,
)
_CHINESE_VERB = re.compile(_VERB)
_PUNCTUATION = re.compile(r"[:：=]")
#: After these (or in quotes) a value of Chinese characters alone is a password.
_NAMING = re.compile(r"叫|[:：=]")
_WORDY = re.compile(r"is|was|shi|wei", re.I)
_CLOSING = "\"”’」』"

#: A value of 65 ASCII characters or more is no password; bounded so each word costs a bounded amount.
_ASCII_VALUE = re.compile(r"[!-~]{1,64}(?![!-~])")
_MORE_DIGITS = re.compile(r" [0-9]{1,8}(?![!-~])")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_MIXED_VALUE = re.compile(rf"[{_CJK}]{{1,8}}[!-~]{{2,64}}(?![!-~])")
_CHINESE_VALUE = re.compile(rf"[{_CJK}]{{2,12}}(?![{_CJK}])")
_QUOTED_VALUE = re.compile(rf"[^{re.escape(_CLOSING)}\n]{{1,64}}(?=[{re.escape(_CLOSING)}])")
#: Chinese values that start like these are talk about the password, not the password.
_REMARK = re.compile(
    r"什么|甚麼|啥|多少|哪|几|幾|怎|不|没|沒|忘|错|錯|对|對|正确|正確|一样|一樣|和|跟|同|被|已|还|還|也|都|太|很|要|会|會"
    r"|能|可以|应该|應該|是|这|這|那|之前|以前|原来|原來|默认|默認|成功|失败|失敗|了|吗|嗎|呢|啊|吧|我的?生日|生日|手机|手機"
    r"|身份|数字|數字|字母|指纹|指紋|人脸|人臉|空|无|無|多|位|重置|修改|找回|来着|來著|输|輸|设置|設置|一直|有|在|的"
    r"|打开|打開|点|點|进|進|去|找|用|从|從|到|按|选|選|登|下载|下載|更新|请|請"
)
#: "密码是8-16位", "password 8 characters": a length, not a password.
_COUNTING_WORD = re.compile(r"\s?(?:位|个|個|次|字|characters?|chars?|digits?)(?![A-Za-z])", re.I)
#: "密码是******": the user hid it already.
_SELF_MASKED = re.compile(r"[*xX#?.]+")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
#: The most groups of digits after a space that still belong to the value ("abc 123").
MORE_DIGIT_GROUPS = 2


def passwords(folded: str, _view: str = "") -> List[Span]:
    """Spans of the passwords in a message (`folded`: its `fold_width`; its digit view is not needed)."""
    spans: List[Span] = []
    for word in _PASSWORD_WORD.finditer(folded):
        if spans and word.start() < spans[-1][1]:
            continue  # a word inside a value already found ("密码是 mima1234")
        separator = _SEPARATOR.match(folded, word.end())
        span = _value(folded, word.group().lower(), separator)
        if span is not None:
            spans.append((*span, PASSWORD))
    return spans


def _value(text: str, word: str, separator: re.Match) -> tuple[int, int] | None:
    said = separator.group()[:separator.start("quote") - separator.start()]
    verb, punctuation, wordy = (bool(pattern.search(said)) for pattern in (_CHINESE_VERB, _PUNCTUATION, _WORDY))
    introduced = verb or punctuation or wordy
    start = separator.end()
    if separator.group("quote") and introduced:
        quoted = _QUOTED_VALUE.match(text, start)
        if quoted is None or _SELF_MASKED.fullmatch(quoted.group()) or _REMARK.match(quoted.group()):
            return None
        return quoted.span()
    ascii_value = _ASCII_VALUE.match(text, start)
    if ascii_value:
        if not _ascii_password(text, word, said, ascii_value):
            return None
        end = ascii_value.end()
        for _ in range(MORE_DIGIT_GROUPS):
            more = _MORE_DIGITS.match(text, end)
            if not more or _COUNTING_WORD.match(text, more.end()):
                break
            end = more.end()
        return start, end
    if not introduced:
        return None
    mixed = _MIXED_VALUE.match(text, start)
    if mixed and not _REMARK.match(mixed.group()) and not _COUNTING_WORD.match(text, mixed.end()):
        return mixed.span()
    chinese = _CHINESE_VALUE.match(text, start)
    naming = bool(_NAMING.search(said)) or (word == "口令" and verb)
    if naming and chinese and not _REMARK.match(chinese.group()):
        return chinese.span()
    return None


def _ascii_password(text: str, word: str, said: str, value: re.Match) -> bool:
    """Whether an ASCII value is a password, from what introduced it.

    After a Chinese word and a verb or ":", any value; after an English word,
    ":" or "is" ("password: the same", "make it pass: that"), a value that is
    not a plain lower-case word; after nothing, one of 4 or more with a digit
    (and for an English word, a space before it: not "pw@host").
    """
    core = value.group().rstrip(_TRAILING_PUNCTUATION)
    if len(core) < 3 or _SELF_MASKED.fullmatch(core) or _COUNTING_WORD.match(text, value.end()):
        return False
    english = word.isascii()
    if _CHINESE_VERB.search(said) or (_PUNCTUATION.search(said) and not english):
        return True
    if _PUNCTUATION.search(said) or _WORDY.search(said):  # "my password is hunter2", not "my password is wrong"
        return not core.isalpha() or any(char.isupper() for char in core[1:])
    return (not english or any(char.isspace() for char in said)) and len(core) >= 4 and any(
        char.isdigit() for char in core)

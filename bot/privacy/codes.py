"""Verification codes in a message: 4 to 8 digits after a code word, a few words between at most.

Words: 验证码 / 驗證碼, 校验码, 动态码, 短信码, 确认码, 认证码, code, OTP,
verification code, yanzhengma ("error code 1234", "报错 code 1002", "zip code
100000", "promo code 8888" are not). Between the word and the code, at most 12
characters without a digit or the end of a sentence ("验证码给你 483920",
"验证码刚收到是 4 8 3 9 2 0", "the OTP I got is 902341", "验证码是6位的 847261"), and none of the words
that say the number is something else (尾号, 手机, 订单, 工单, 金额, 转了 …).

The code: 4 to 8 digits, in one piece or split by one kind of separator
("483 920", "4 8 3 9 2 0", "663-902"), in any script or in Chinese numerals
("四八三九二零", "幺三五七九零"); not an amount (¥ before), not followed by a
unit (秒, 分钟, 次, 年, 元 …: "验证码 2024年…"), not the start of a longer
number split the same way (a phone number).
"""
from __future__ import annotations

import re
from typing import List

from bot.privacy.context import amount_before, unit_after
from bot.privacy.kinds import VERIFICATION_CODE, Span
from bot.privacy.numbers import run_at

CODE_DIGITS = range(4, 9)
_CODE_WORD = re.compile(
    r"验证码|驗證碼|校验码|校驗碼|动态码|動態碼|短信码|短信碼|确认码|確認碼|认证码|認證碼"
    r"|(?<![A-Za-z])(?:code|otp|yanzhengma)(?![A-Za-z])",
    re.I,
)
#: Codes that are not secrets: "error code 1234", "zip code 100000".
_OTHER_CODE_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:error|err|zip|postal|post|promo|coupon|invite|invitation|referral|country|area|status|tracking"
    r"|discount|gift|voucher|qr|bar)|报错|報錯|错误|錯誤|出错|出錯|异常|異常|故障)[ _-]?$",
    re.I,
)
#: Between the word and the code: no end of sentence, no digit but a length ("6位"), 12 characters or lengths at most.
_GAP = re.compile(r"(?:[^0-9\n。！？!?；;]|[0-9]{1,2}\s?位(?:数|數)?){0,12}(?=[0-9])")
#: In the gap, these say the number after it is not the code.
_OTHER_NUMBER_IN_GAP = re.compile(
    r"尾号|尾號|手机|手機|电话|電話|号码|號碼|订单|訂單|单号|單號|工单|工單|金额|金額|余额|餘額|转了|轉了|付了|充了|等了|过了|過了"
    r"|有效|发到|發到|错误码|錯誤碼|[¥￥$]|number|phone|order|ticket|sent to|valid",
    re.I,
)


def verification_codes(folded: str, view: str) -> List[Span]:
    """Spans of the verification codes in a message (`folded`: its `fold_width`, `view`: its `digit_view`)."""
    spans: List[Span] = []
    for word in _CODE_WORD.finditer(folded):
        if word.group().isascii() and _OTHER_CODE_BEFORE.search(folded, max(0, word.start() - 16), word.start()):
            continue
        gap = _GAP.match(view, word.end())
        if gap is None or _OTHER_NUMBER_IN_GAP.search(folded, gap.start(), gap.end()):
            continue
        run = run_at(view, gap.end())
        if run is None or amount_before(folded, run.start):
            continue
        for window in run.leading(view, CODE_DIGITS):
            if not unit_after(folded, window.end):
                spans.append((window.start, window.end, VERIFICATION_CODE))
                break
    return spans

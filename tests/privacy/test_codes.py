"""Verification codes: words between the code word and the code, spaced digits, Chinese numerals; numbers near
code words that are not codes."""
import pytest

from bot.privacy.codes import verification_codes
from bot.privacy.digits import digit_view
from bot.privacy.widths import fold_width


def found(text):
    folded = fold_width(text)
    return [text[start:end] for start, end, _ in verification_codes(folded, digit_view(folded))]


@pytest.mark.parametrize(("text", "code"), [
    ("验证码给你 483920", "483920"), ("验证码刚收到是 4 8 3 9 2 0", "4 8 3 9 2 0"), ("验证码四八三九二零", "四八三九二零"),
    ("验证码是幺三五七九零", "幺三五七九零"), ("驗證碼是 三八一九四七", "三八一九四七"), ("验证码发你了：118842", "118842"),
    ("我把验证码告诉你 209947 你帮我登一下", "209947"), ("验证码我看一下哈，是 6 0 7 7 1 2", "6 0 7 7 1 2"),
    ("OTP 118 204", "118 204"), ("验证码 663-902", "663-902"), ("the OTP I got is 902341", "902341"),
    ("验证码是6位的 847261", "847261"), ("验证码(392017)", "392017"), ("验证码　５５３９２１", "５５３９２１"),
    ("验证码 483920，20 秒后过期", "483920"), ("yanzhengma 663018", "663018"), ("確認碼 5521", "5521"),
    ("动态码 903 118", "903 118"), ("sms code 7721", "7721"), ("验证码是4271吗", "4271"),
])
def test_codes(text, code):
    assert found(text) == [code]


@pytest.mark.parametrize("text", [
    "验证码一直收不到，等了 120 秒", "验证码发到 13912345678 了吗？", "验证码发到 139 1234 5678 了吗", "验证码5分钟内有效吗",
    "验证码收不到，我转了 1000 块等着用", "验证码不对，工单 OK-20261121-0007 也没人处理", "验证码 错了 3 次 被锁 24 小时",
    "收不到验证码 2024年11月20日 开始的", "验证码发到尾号 5678 的手机了吗", "验证码有效期 10 分钟", "error code 10086",
    "promo code 2024 无效", "qrcode 1234", "验证码 123", "验证码 123456789", "验证码 ¥1234", "验证码 2024-11-20",
    "验证码收不到。1234 是我的房间号", "OTP not received, my number is +86 139 8765 4321", "验证码 12.50",
    "充值页面报错 code 1002", "提示错误 code: 4001",
])
def test_numbers_near_code_words_that_are_not_codes(text):
    assert found(text) == []

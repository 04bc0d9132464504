"""Secrets are found and hidden; ordinary messages, phone numbers and order numbers are left alone.

The kinds one by one are tested with their modules (test_cards, test_identity,
test_passwords, test_codes, test_card_details); here is `redact` as a whole,
with the security review's "Secrets in chat" cases one by one.
"""
import sys

import pytest

from bot.privacy import MASK, Redaction, redact
from bot.privacy.checksums import id_check_char, luhn_valid
from bot.privacy.widths import fold_width
from tests.privacy.hostile import UNITS, hostile
from tests.privacy.samples import CARD, CARD16, ID, OLD_ID, chinese, with_luhn_digit


# ------------------------------------------------------------------ bank cards
@pytest.mark.parametrize(("text", "expected"), [
    (f"我的卡号是{CARD}", f"我的卡号是{MASK}"),
    ("卡号 6222 0212 3456 7890 128 付款失败", f"卡号 {MASK} 付款失败"),
    ("6222-0212-3456-7890-128", MASK),
    ("6222  0212  3456  7890  128", MASK),
    ("４１１１ １１１１ １１１１ １１１１", MASK),  # full-width digits and ideographic spaces
    ("visa 4111111111111111 mastercard 5555555555554444", f"visa {MASK} mastercard {MASK}"),
    ("美国运通卡 378282246310005", f"美国运通卡 {MASK}"),  # 15 digits
    ("4222222222222", MASK),  # 13 digits
    ("4111 1111 1111 1111，帮我查一下", f"{MASK}，帮我查一下"),
    ("卡号:6200000000000005。", f"卡号:{MASK}。"),
    ("💳6200000000000005💳", f"💳{MASK}💳"),
    ("金额100 6222 0212 3456 7890 128", f"金额100 {MASK}"),  # the longest card in a run of numbers wins
    ("13812345678 6222021234567890128", f"13812345678 {MASK}"),
])
def test_bank_card_numbers_are_hidden(text, expected):
    assert redact(text) == Redaction(expected, ("bank_card",))


@pytest.mark.parametrize("text", [
    "4111111111111112",  # fails Luhn
    "订单号 2023112012345678 付款失败",
    "转账 6217 0000 1001 2345 678 元",  # fails Luhn, and no card word introduces it
    "13812345678",  # a phone number
    "+86 138 1234 5678",  # 13 digits with the country code
    "8613812345678",
    "008613812345678",
    "0000000000000000",  # passes Luhn, but is no card
    "123456789012",  # 12 digits
    "62220212345678901280",  # 20 digits
    "2024-11-20 12:30 付了 1000 元",
    "工单号 OK-20261121-0007",
    "order 4111111111111111",
    "交易号：4111111111111111",
])
def test_numbers_that_are_not_cards_stay(text):
    assert redact(text) == Redaction(text)


def test_a_luhn_valid_number_is_a_card_whatever_its_digits():
    number = with_luhn_digit("123456789012345")
    assert redact(f"卡 {number}").kinds == ("bank_card",)


# ------------------------------------------------------------------ ID numbers
@pytest.mark.parametrize(("text", "expected"), [
    (f"身份证号{ID}", f"身份证号{MASK}"),
    ("身份证 11010519491231002x 查一下", f"身份证 {MASK} 查一下"),
    ("110105 19491231 002X", MASK),
    ("１１０１０５１９４９１２３１００２Ｘ", MASK),
    ("我的身份证是320106199003071234。", f"我的身份证是{MASK}。"),
])
def test_resident_id_numbers_are_hidden(text, expected):
    assert redact(text) == Redaction(expected, ("id_number",))


@pytest.mark.parametrize("text", [
    "110105194912310021",  # wrong check character
    "320106199013071234",  # no 13th month
    "3201061990030712345",  # 19 digits
])
def test_id_like_numbers_that_are_not_ids_stay(text):
    assert "id_number" not in redact(text).kinds


def test_an_id_number_that_also_passes_luhn_counts_as_an_id():
    first17 = next(p for p in (f"1101051949123{n:04d}" for n in range(1000)) if luhn_valid(p + id_check_char(p)))
    assert redact(first17 + id_check_char(first17)).kinds == ("id_number",)


# ------------------------------------------------------------------ passwords
@pytest.mark.parametrize(("text", "expected"), [
    ("密码是abc123", f"密码是{MASK}"),
    ("密码：Abc@123", f"密码：{MASK}"),
    ("密码:Abc@123", f"密码:{MASK}"),
    ("我的密码 12345678", f"我的密码 {MASK}"),
    ("我的密码12345678登不上", f"我的密码{MASK}登不上"),
    ("支付密码是 123456", f"支付密码是 {MASK}"),
    ("登录密码为xxx123", f"登录密码为{MASK}"),
    ("登陆密码是：Qwer1234，怎么还是错", f"登陆密码是：{MASK}，怎么还是错"),
    ("密碼是abc123", f"密碼是{MASK}"),
    ("密码=abcdef", f"密码={MASK}"),
    ("密码是abcd", f"密码是{MASK}"),
    ("password: hunter2", f"password: {MASK}"),
    ("Password:hunter2", f"Password:{MASK}"),
    ("pwd=xyz789", f"pwd={MASK}"),
    ("pw is hunter2", f"pw is {MASK}"),
    ("my password is Tr0ub4dor&3", f"my password is {MASK}"),
    ("my password is HunterTwo", f"my password is {MASK}"),
    ("PIN 1234", f"PIN {MASK}"),
    ("PIN码是 8842", f"PIN码是 {MASK}"),
    ("ＰＡＳＳＷＯＲＤ：ｈｕｎｔｅｒ２", f"ＰＡＳＳＷＯＲＤ：{MASK}"),
    ("password: hunter2. please help", f"password: {MASK} please help"),
    ("新密码是abc123 旧密码是xyz789", f"新密码是{MASK} 旧密码是{MASK}"),
])
def test_passwords_are_hidden_and_the_words_before_them_stay(text, expected):
    assert redact(text) == Redaction(expected, ("password",))


@pytest.mark.parametrize("text", [
    "我忘记密码了", "改密码", "密码错误", "密码是什么意思", "重置密码怎么弄", "密码忘了怎么办", "密码输错3次被锁了",
    "密码要几位", "密码是8-16位吗", "密码是6位数字吗", "支付密码和登录密码有什么区别", "密码是我生日",
    "密码是******", "密码是xxx", "我改了密码 还是登不上", "密码", "密码是", "忘记密码 help",
    "my password is wrong", "my password is wrong.", "password reset", "pw is xxx", "forgot password",
    "my password is not working", "passwords must have 8 characters", "password 8 characters", "spin 1234",
])
def test_talk_about_passwords_is_not_a_password(text):
    assert redact(text) == Redaction(text)


# -------------------------------------------------------- verification codes
@pytest.mark.parametrize(("text", "expected"), [
    ("验证码 123456", f"验证码 {MASK}"),
    ("验证码是 8391", f"验证码是 {MASK}"),
    ("短信验证码：482913", f"短信验证码：{MASK}"),
    ("验证码123456，为什么提示错误", f"验证码{MASK}，为什么提示错误"),
    ("code 123456", f"code {MASK}"),
    ("the code is 12345678", f"the code is {MASK}"),
    ("OTP: 4821", f"OTP: {MASK}"),
    ("动态码123456", f"动态码{MASK}"),
    ("校验码：9911", f"校验码：{MASK}"),
    ("驗證碼 ６６８８", f"驗證碼 {MASK}"),
])
def test_verification_codes_are_hidden(text, expected):
    assert redact(text) == Redaction(expected, ("verification_code",))


@pytest.mark.parametrize("text", [
    "收不到验证码", "验证码错误", "验证码是多少", "验证码过期了", "验证码 123", "验证码 123456789",
    "验证码发到13812345678了吗", "error code 1234", "zip code 100000", "promo code 8888", "qrcode 1234",
    "验证码60秒", "code",
])
def test_talk_about_codes_is_not_a_code(text):
    assert "verification_code" not in redact(text).kinds


# ------------------------------------------------------------------ together
def test_kinds_come_in_order_of_appearance_each_once():
    text = f"验证码 123456，卡号 {CARD}，密码是abc123，另一张卡 4111111111111111，身份证 {ID}"
    result = redact(text)
    assert result.kinds == ("verification_code", "bank_card", "password", "id_number")
    assert result.text == f"验证码 {MASK}，卡号 {MASK}，密码是{MASK}，另一张卡 {MASK}，身份证 {MASK}"
    assert result.found


def test_a_password_that_is_a_card_number_is_hidden_once():
    result = redact(f"密码是{CARD}")
    assert result.text == f"密码是{MASK}" and len(result.kinds) == 1


@pytest.mark.parametrize("text", [
    "", "你好", "我想提现", "付款失败了怎么办", "我的手机号 13812345678", "邮箱 abc@example.com", "转账 5000 元",
    "😀😀😀", "/affirm", MASK, "查询工单 OK-20261121-0007",
])
def test_ordinary_messages_are_unchanged(text):
    result = redact(text)
    assert result == Redaction(text) and not result.found


@pytest.mark.parametrize("text", [
    f"卡号 {CARD} 密码是abc123 验证码 123456 身份证 {ID}",
    "password: hunter2", "密码 12345678", "４１１１ １１１１ １１１１ １１１１",
])
def test_redacting_a_redacted_text_changes_nothing_and_finds_nothing(text):
    once = redact(text)
    assert once.found
    assert redact(once.text) == Redaction(once.text)


def test_nothing_of_the_secret_is_left():
    for text in (f"卡号{CARD}", "密码是Abc@123", "验证码 482913", f"身份证{ID}"):
        masked = redact(text).text
        assert not any(char.isdigit() for char in masked.replace("卡号", ""))
        assert "Abc" not in masked


def test_redaction_is_frozen():
    result = redact("密码是abc123")
    with pytest.raises(AttributeError):
        result.text = "x"  # type: ignore[misc]


# ------------------------------------------------------------ long and hostile
def test_a_long_message_with_secrets_far_apart():
    filler = "我在用OKPay付款的时候遇到了问题。" * 500
    text = f"{filler}卡号 {CARD}{filler}密码是abc123{filler}"
    assert len(text) > 10_000
    result = redact(text)
    assert result.kinds == ("bank_card", "password")
    assert result.text == f"{filler}卡号 {MASK}{filler}密码是{MASK}{filler}"


@pytest.mark.parametrize("text", [
    "1 " * 5000,
    "1-" * 5000,
    "12345 " * 2000,
    "9" * 10_000,
    "密码" * 5000,
    "密码是" + " " * 10_000,
    "密码 " * 3000,
    "验证码" * 3000 + "1" * 1000,
    "password " * 1200,
    "a" * 10_000 + "@",
    "x@" * 5000,
    "11010519491231002" * 600,
    "code is " * 1500,
])
def test_hostile_inputs_complete(text):
    result = redact(text)
    assert isinstance(result, Redaction)
    assert redact(result.text).kinds == ()


def test_full_width_folding_keeps_positions():
    text = "卡号：６２２２　０２１２，ａｂｃ＠ｑｑ．ｃｏｍ，不变：，。！"
    folded = fold_width(text)
    assert len(folded) == len(text)
    assert folded == "卡号：6222 0212，abc@qq.com，不变：，。！"


def steps(text):
    """How many Python and C function calls and returns redacting `text` takes (a count, not a time)."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += 1

    sys.setprofile(profile)
    try:
        redact(text)
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("name", UNITS)
def test_hostile_inputs_cost_steps_in_proportion_to_their_length(name):
    small, large = steps(hostile(UNITS[name], 2_000)), steps(hostile(UNITS[name], 20_000))
    assert large <= 11 * small + 200, (small, large)


# ------------------------------------------- security review: secrets in chat
# The four messages the review found stored in clear.
def test_review_a_card_number_with_dots_between_the_groups():
    text = "我的卡号是6222.0212.3456.7894，帮我看看为啥绑不上"
    assert redact(text) == Redaction(f"我的卡号是{MASK}，帮我看看为啥绑不上", ("bank_card",))


def test_review_the_dotted_example_fails_luhn_and_is_hidden_when_a_card_word_introduces_it():
    assert not luhn_valid("6222021234567890")
    assert redact("我的卡号是6222.0212.3456.7890") == Redaction(f"我的卡号是{MASK}", ("bank_card",))
    assert redact("6222.0212.3456.7890") == Redaction("6222.0212.3456.7890")  # a bare typo-number is no card


def test_review_a_verification_code_after_words():
    assert redact("验证码给你 483920") == Redaction(f"验证码给你 {MASK}", ("verification_code",))


def test_review_a_password_after_jiushi():
    assert redact("密码就是abc12345") == Redaction(f"密码就是{MASK}", ("password",))


def test_review_a_password_after_jiao():
    assert redact("我的密码叫 woaini1314") == Redaction(f"我的密码叫 {MASK}", ("password",))


# Card numbers: any separator, line breaks, Chinese numerals, any Unicode digits, still Luhn-checked.
@pytest.mark.parametrize("separator", [
    " ", "-", ".", "/", "_", "－", "／", "＿", "．", "\u3000", ",", "，", "、", "\n", "\r\n", " - ", "—",
])
def test_card_number_with_any_separator(separator):
    written = separator.join(CARD16[i:i + 4] for i in range(0, 16, 4))
    assert redact(f"卡号 {written} 付不了") == Redaction(f"卡号 {MASK} 付不了", ("bank_card",))


def test_card_number_split_across_line_breaks():
    text = f"我的借记卡\n{CARD16[:4]} {CARD16[4:8]}\n{CARD16[8:12]} {CARD16[12:]}\n怎么绑定失败"
    assert redact(text) == Redaction(f"我的借记卡\n{MASK}\n怎么绑定失败", ("bank_card",))


@pytest.mark.parametrize(("zero", "one"), [("零", "一"), ("〇", "一"), ("〇", "幺"), ("零", "幺")])
def test_card_number_in_chinese_numerals(zero, one):
    assert redact(f"卡号{chinese(CARD, zero, one)}") == Redaction(f"卡号{MASK}", ("bank_card",))


@pytest.mark.parametrize("digits", ["٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", "０１２３４５６７８９", "⓪①②③④⑤⑥⑦⑧⑨"])
def test_card_number_in_any_unicode_digits(digits):
    assert redact("卡号 " + "".join(digits[int(d)] for d in CARD)) == Redaction(f"卡号 {MASK}", ("bank_card",))


def test_card_numbers_are_still_luhn_checked_however_written():
    """Without a card word before it, a number that fails Luhn is no card (after 卡号 it is hidden anyway)."""
    wrong = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    for written in (chinese(wrong), " ".join(wrong), ".".join(wrong[i:i + 4] for i in range(0, 19, 4))):
        assert redact(f"流水 {written}") == Redaction(f"流水 {written}")
        assert redact(f"卡号 {written}").kinds == ("bank_card",)


# Passwords: any verb or punctuation, values starting with Chinese or mixed, every keyword.
@pytest.mark.parametrize("said", ["是", "为", "叫", "就是", "改成", "设成", "设的", ":", "：", "=", " "])
def test_password_after_any_verb_or_punctuation(said):
    assert redact(f"密码{said}Zx2024ok") == Redaction(f"密码{said}{MASK}", ("password",))


@pytest.mark.parametrize(("text", "expected"), [
    ("密码是我爱你1314", f"密码是{MASK}"), ("我的密码叫 小白兔", f"我的密码叫 {MASK}"), ("密码是张三abc", f"密码是{MASK}"),
])
def test_password_values_starting_with_chinese_or_mixing_chinese_and_ascii(text, expected):
    assert redact(text) == Redaction(expected, ("password",))


@pytest.mark.parametrize("word", ["pass", "passphrase", "口令", "mima", "密码", "支付密码", "登录密码"])
def test_password_keywords(word):
    assert redact(f"{word}: Zx2024ok") == Redaction(f"{word}: {MASK}", ("password",))


# Verification codes: words between, spaced digits, Chinese numerals.
@pytest.mark.parametrize(("text", "expected"), [
    ("验证码给你 483920", f"验证码给你 {MASK}"),
    ("验证码刚收到是 4 8 3 9 2 0", f"验证码刚收到是 {MASK}"),
    ("验证码四八三九二零", f"验证码{MASK}"),
])
def test_verification_codes_however_sent(text, expected):
    assert redact(text) == Redaction(expected, ("verification_code",))


# Resident ID numbers: 15 and 18 digits, separators anywhere.
@pytest.mark.parametrize("written", [ID, "110105 19491231 002X", "1101-0519-4912-3100-2X", "11010519491231002 x"])
def test_id_numbers_of_18_characters_split_anywhere(written):
    assert redact(f"身份证 {written}") == Redaction(f"身份证 {MASK}", ("id_number",))


@pytest.mark.parametrize("written", [OLD_ID, "110105 491231 002", "110-105-491-231-002"])
def test_id_numbers_of_15_digits(written):
    assert redact(f"老身份证 {written}") == Redaction(f"老身份证 {MASK}", ("id_number",))


# CVV and expiry dates near card words.
@pytest.mark.parametrize(("text", "expected"), [
    ("CVV 123", f"CVV {MASK}"), ("cvc是 618", f"cvc是 {MASK}"), ("安全码 205", f"安全码 {MASK}"),
    ("卡背后三位是 472", f"卡背后三位是 {MASK}"),
])
def test_card_security_codes(text, expected):
    assert redact(text) == Redaction(expected, ("card_security_code",))


@pytest.mark.parametrize(("text", "expected"), [
    ("信用卡有效期 08/27", f"信用卡有效期 {MASK}"), ("卡的有效期是 12/2028", f"卡的有效期是 {MASK}"),
])
def test_card_expiry_dates_near_card_words(text, expected):
    assert redact(text) == Redaction(expected, ("card_expiry",))


def test_a_whole_card_in_one_message():
    text = f"卡号 {CARD16} cvv 117 有效期 11/26"
    assert redact(text) == Redaction(f"卡号 {MASK} cvv {MASK} 有效期 {MASK}",
                                     ("bank_card", "card_security_code", "card_expiry"))


# Ordinary numbers stay: order numbers, amounts, dates and times, phones, tickets, transaction ids.
@pytest.mark.parametrize("text", [
    f"订单号 {CARD16} 付款失败", f"订单号：{CARD}，钱扣了没到账", f"交易号 {CARD16}", f"交易流水号 T{CARD16}",
    f"商户订单号 M{CARD}", "交易单号 4200001234202411208765432109 显示支付成功",
    "我转了 ¥1,234.56 给朋友", "五百块钱扣了两次", "金额 12,345,678.90", "三笔 1,234.56、2,345.67、3,456.78",
    "昨天 2024-11-20 14:32 付的款", "2024/11/20 12:30 到 2024/11/21 09:15 之间的账单", "时间 2024-11-20T14:32:05+08:00",
    "我的手机号 +86 138 1234 5678", "+86-139-1234-5678", "电话 13812345678 13987654321", "座机 0755-8888 6666",
    "工单 OK-20261121-0007 有进展吗", "查一下 OK-20261121-0007 和 OK-20261121-0008", "有效期 08/27 的优惠券",
])
def test_ordinary_numbers_stay(text):
    assert redact(text) == Redaction(text)

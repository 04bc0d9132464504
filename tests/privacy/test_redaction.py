"""Secrets are found and hidden; ordinary messages, phone numbers and order numbers are left alone."""
import pytest

from bot.privacy import MASK, Redaction, redact
from bot.privacy.checksums import id_check_char, luhn_valid
from bot.privacy.widths import fold_width

CARD = "6222021234567890128"  # 19 digits, passes Luhn
ID = "11010519491231002X"  # the standard's own example


def with_luhn_digit(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


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
    "卡号 6217 0000 1001 2345 678",  # fails Luhn: a typo is not a card
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

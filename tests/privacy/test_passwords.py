"""Passwords: any way of introducing the value, values in Chinese and mixed, and talk about passwords left alone."""
import pytest

from bot.privacy.passwords import passwords
from bot.privacy.widths import fold_width


def found(text):
    return [text[start:end] for start, end, _ in passwords(fold_width(text))]


@pytest.mark.parametrize("said", [
    "是", "为", "為", "叫", "叫做", "就是", "也是", "一直是", "应该是", "改成", "改成了", "改为", "设成", "设为",
    "设的", "设的是", "设置成", "换成", "用的是", ":", "：", "=", " ", " 是 ", "是：", "我设的是", " is ", " = ",
])
def test_any_verb_or_punctuation_before_the_value(said):
    assert found(f"密码{said}Kk2024x") == ["Kk2024x"]


@pytest.mark.parametrize("word", [
    "密码", "密碼", "支付密码", "登录密码", "登陆密码", "交易密码", "登入密碼", "口令", "mima",
    "password", "Password", "PASSWORD", "pass", "passphrase", "passcode", "passwd", "pwd", "pw", "PIN", "PIN码",
])
def test_password_words(word):
    assert found(f"{word}: Kk2024x") == ["Kk2024x"]


@pytest.mark.parametrize(("text", "value"), [
    ("密码是我爱你1314", "我爱你1314"), ("密码是张三abc", "张三abc"), ("密码是：哈哈哈123", "哈哈哈123"),
    ("密码就是 我的名字zhangwei", "我的名字zhangwei"), ("my password is 猫咪abc88", "猫咪abc88"),
    ("我的密码叫 小白兔", "小白兔"), ("支付密码：一二三四五六", "一二三四五六"), ("口令是 芝麻开门", "芝麻开门"),
    ("密码=天王盖地虎", "天王盖地虎"),
])
def test_values_that_start_with_chinese_characters(text, value):
    assert found(text) == [value]


@pytest.mark.parametrize(("text", "value"), [
    ("密码是“hello_kitty99”", "hello_kitty99"), ("密码是『Wq_2468』", "Wq_2468"), ('password is "blue sky 7"', "blue sky 7"),
    ("密码是 abc 123", "abc 123"), ("密码是 Ｑｗｅｒ１２３４", "Ｑｗｅｒ１２３４"), ("mima shi woaini520", "woaini520"),
    ("登录密码是 mima1234 对吗", "mima1234"), ("密码是abc123怎么登不上", "abc123"), ("password: hunter2.", "hunter2."),
])
def test_quoted_spaced_and_mixed_writing(text, value):
    assert found(text) == [value]


@pytest.mark.parametrize("text", [
    "我忘记密码了", "密码错误", "密码是什么意思", "密码是我生日", "我密码用的是生日，是不是太简单了", "密码改成功了 谢谢",
    "密码设置不了 一直转圈", "密码就是不对 我确定没输错", "密码叫什么来着", "把支付密码换成指纹可以吗",
    "密码输了 5 次就锁了吗",
    "我的密码 好像被盗了", "密码是多少位的", "密码是8-16位吗", "密码是6位数字吗", "密码是******", "密码是“什么”",
    "口令红包怎么领", "password reset link", "my password is wrong", "passing the check", "bypass", "passport 能实名吗",
    "password's reset", "I forgot my password, order 2024112055667788", "pw is xxx", "密码：不对", "密码：忘了",
    "make the model pass: that would turn it", "PIN: below the card", '"reset_password", "refund"',
    '["密码", "卡号"]', "请尽快修改登录密码：打开App，点「我的」", "password: the same as before", "redis://:pw@cache.internal:6380",
])
def test_talk_about_passwords(text):
    assert found(text) == []


def test_a_value_of_65_characters_or_more_is_no_password():
    assert found("pw=" + "a1" * 40) == []
    assert found("pw=" + "a1" * 32) == ["a1" * 32]


@pytest.mark.parametrize(("text", "value"), [
    ("pass: hunter2", "hunter2"), ("PIN: 4417", "4417"), ("pass: SunShine", "SunShine"),
])
def test_after_english_words_a_value_that_is_no_plain_word(text, value):
    assert found(text) == [value]

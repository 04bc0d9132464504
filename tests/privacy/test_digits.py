"""Every way of writing a digit reads as an ASCII digit; words with numerals in them stay words."""
import pytest

from bot.privacy.digits import digit_view


@pytest.mark.parametrize(("text", "expected"), [
    ("６２２２", "6222"),  # full-width
    ("٦٢٢٢", "6222"),  # Arabic-Indic
    ("६२२२", "6222"),  # Devanagari
    ("𝟔𝟐𝟐𝟐", "6222"),  # mathematical bold (outside the BMP)
    ("①②③", "123"),  # circled: NFKC digits
    ("x²³", "x23"),  # superscripts
    ("六二二二", "6222"),
    ("〇幺二三", "0123"),  # 〇 for 0, 幺 for 1 as people read numbers out
    ("零一二三四五六七八九", "0123456789"),
    ("壹贰叁肆伍陆柒捌玖", "123456789"),  # financial numerals
    ("貳參陸", "236"),  # and their Traditional forms
    ("卡号六二二二，谢谢", "卡号6222，谢谢"),
])
def test_digits_in_any_script_become_ascii(text, expected):
    assert digit_view(text) == expected


@pytest.mark.parametrize("text", ["一直收不到", "五百块", "三五个人", "第二次", "一二", "十一", "两千", "ⅠⅡⅢ", "⑩⑪"])
def test_numerals_in_words_and_non_digits_stay(text):
    assert digit_view(text) == text


@pytest.mark.parametrize("text", ["卡号 ６２２２　〇二五二，𝟔𝟐", "①②③④⑤ 𝟏𝟐𝟑 ٦٢٢ 六二二二 abc", "😀" * 10, ""])
def test_the_view_has_the_texts_length(text):
    assert len(digit_view(text)) == len(text)

"""Resident ID numbers, 18 and 15 digits, however they are split or written."""
import pytest

from bot.privacy.digits import digit_view
from bot.privacy.identity import id_numbers
from bot.privacy.widths import fold_width
from tests.privacy.samples import ID, OLD_ID, chinese, with_check_char


def found(text):
    folded = fold_width(text)
    return [text[start:end] for start, end, _ in id_numbers(folded, digit_view(folded))]


@pytest.mark.parametrize("written", [
    ID, ID.lower(), "110105 19491231 002X", "110105-1949-1231-002X", "1101 0519 4912 3100 2X", "110105.19491231.002X",
    "11010519491231002 X", "11010519491231002-x", "11010519491231002×", "110105\n19491231\n002X",
    "１１０１０５１９４９１２３１００２Ｘ", "110105_19491231_002X",
])
def test_18_characters_split_anywhere(written):
    assert found(f"身份证 {written} 谢谢") == [written]


def test_in_chinese_numerals_and_without_words_around():
    number = with_check_char("44030519730903115")
    assert number[-1].isdigit()
    assert found(chinese(number)) == [chinese(number)]
    assert found(f"实名认证用的 {number} 为什么不通过") == [number]


@pytest.mark.parametrize("before", [
    "身份证号 ", "老身份证15位的 ", "身份證：", "证件号码 ", "ID: ", "id card ", "实名用的 ",
])
def test_15_digits_after_id_words(before):
    assert found(f"{before}{OLD_ID}") == [OLD_ID]
    assert found(f"{before}110105 491231 002") == ["110105 491231 002"]


@pytest.mark.parametrize("text", [
    OLD_ID,  # 15 digits alone could be anything
    f"订单号 {OLD_ID}",
    "身份证 110105491331002",  # month 13
    "身份证 910105491231002",  # no area code starts with 9
])
def test_15_digits_without_id_words_or_a_real_date_are_not_ids(text):
    assert found(text) == []


@pytest.mark.parametrize("text", [
    "110105194912310021",  # wrong check character
    "11010519491231002Y",
    "1101051949123100211",  # 19 digits
    f"订单号 {ID}", f"T{ID}",
])
def test_not_ids(text):
    assert found(text) == []

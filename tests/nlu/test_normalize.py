import pytest

from bot.nlu.normalize import fold_width, normalize, to_simplified


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＯＫＰａｙ１２３", "OKPay123"),
        ("你好，世界", "你好,世界"),
        ("提现\u3000失败", "提现 失败"),
        ("普通文本", "普通文本"),
    ],
)
def test_fold_width_turns_full_width_ascii_into_ascii(text, expected):
    assert fold_width(text) == expected


def test_traditional_becomes_simplified():
    assert to_simplified("帳戶被鎖了怎麼辦") == "帐户被锁了怎么办"
    assert to_simplified("提現沒到帳") == "提现没到帐"


def test_normalize_keeps_length_so_entity_offsets_stay_valid():
    for text in ["帳戶被鎖　ＡＰＰ打不開", "轉帳５００塊", "😂😂😂", "乾淨 乾隆", "滑鼠壞了"]:
        assert len(normalize(text)) == len(text)


def test_normalize_lowers_latin_and_handles_empty():
    assert normalize("APP Bug OTP") == "app bug otp"
    assert normalize("") == ""


def test_variant_characters_users_mix_are_unified():
    assert normalize("帳戶被鎖了") == normalize("帐户被锁了") == "账户被锁了"

from bot.evaluation.examples import Example
from bot.evaluation.leakage import BigramIndex, bigrams, comparable, find_leaks, jaccard


def ex(text: str, label: str = "payment_failed") -> Example:
    return Example(text, label)


def test_comparable_text_ignores_punctuation_width_case_and_script():
    assert comparable("付款失敗了！！ OK👍") == comparable("付款失败了ok")


def test_bigrams_of_short_texts():
    assert bigrams("好") == frozenset({"好"})
    assert bigrams("？？") == frozenset()
    assert bigrams("付款失败") == frozenset({"付款", "款失", "失败"})


def test_jaccard():
    assert jaccard(bigrams("付款失败"), bigrams("付款失败")) == 1.0
    assert jaccard(bigrams("付款失败"), bigrams("提现到账")) == 0.0
    assert jaccard(frozenset(), bigrams("付款")) == 0.0


def test_the_same_sentence_in_traditional_with_other_punctuation_is_a_leak():
    leaks = find_leaks([ex("我的帳戶被鎖了，怎麼辦？")], [ex("我的账户被锁了怎么办", "account_locked")])
    assert len(leaks) == 1 and leaks[0].similarity == 1.0


def test_half_the_bigrams_shared_is_a_leak_and_less_is_not():
    training = [ex("付款一直失败怎么回事")]
    # 付款 款一 一直 直失 失败 + 怎么 么回 回事 (8) vs 付款 款一 一直 直失 失败 + 了 … shares 5.
    near = ex("付款一直失败了")
    far = ex("扫码付款的时候一直转圈")
    assert find_leaks([near], training)
    assert not find_leaks([far], training)


def test_the_index_finds_the_closest_example():
    index = BigramIndex([ex("提现没到账", "withdraw_not_arrived"), ex("付款失败了")])
    closest, score = index.closest("提现还没到账")
    assert closest.label == "withdraw_not_arrived" and 0.5 <= score < 1


def test_leaks_are_sorted_closest_first():
    training = [ex("账户被锁了怎么办", "account_locked"), ex("付款失败怎么办")]
    leaks = find_leaks([ex("付款失败了怎么办"), ex("账户被锁了怎么办")], training)
    assert [leak.similarity for leak in leaks] == sorted((leak.similarity for leak in leaks), reverse=True)
    assert leaks[0].similarity == 1.0

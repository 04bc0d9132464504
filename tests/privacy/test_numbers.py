"""Runs of digit groups, and the windows of them that could be one number someone split."""
import pytest

from bot.privacy.numbers import Window, digit_runs, longest_first, run_at, separator_class

ANY = range(1, 40)


def runs(view):
    return [[view[start:end] for start, end in run.groups] for run in digit_runs(view)]


def windows(view, lengths=ANY):
    (run,) = digit_runs(view)
    return [window.digits for window in run.windows(view, lengths)]


@pytest.mark.parametrize(("view", "expected"), [
    ("6222 0212 3456", [["6222", "0212", "3456"]]),
    ("6222.0212/3456_7890,1234，5678、9012", [["6222", "0212", "3456", "7890", "1234", "5678", "9012"]]),
    ("6222\n0212\r\n3456", [["6222", "0212", "3456"]]),
    ("6222 - 0212", [["6222", "0212"]]),
    ("6222    0212", [["6222"], ["0212"]]),  # four spaces: two numbers
    ("6222:0212 6222年0212", [["6222"], ["0212", "6222"], ["0212"]]),
    ("abc", []),
])
def test_groups_are_joined_by_up_to_three_separator_characters(view, expected):
    assert runs(view) == expected


@pytest.mark.parametrize(("separator", "expected"), [
    (" ", " "), ("\n", " "), ("\u3000", " "), ("-", "-"), (" - ", "-"), ("—", "-"), ("·", "."), ("，", ","), ("、", ","),
    ("\\", "/"), ("_", "_"), (" ,", ","),
])
def test_separator_classes(separator, expected):
    assert separator_class(separator) == expected


def test_windows_are_whole_consecutive_groups():
    assert windows("6222 0212 3456") == ["6222", "62220212", "622202123456", "0212", "02123456", "3456"]


def test_windows_keep_to_the_lengths_asked():
    assert windows("6222 0212 3456", range(8, 9)) == ["62220212", "02123456"]


def test_separators_of_two_classes_are_two_numbers():
    assert windows("6222-0212 3456") == ["6222", "62220212", "0212", "02123456", "3456"]


def test_short_groups_inside_are_dates_not_numbers():
    assert "20241120" not in windows("2024 11 20")
    assert windows("2024 11 20") == ["2024", "202411", "11", "20"]  # not "1120": "11" would be inside


def test_single_digits_read_out_one_by_one_are_one_number():
    assert "622202" in windows("6 2 2 2 0 2")


def test_lists_joined_by_commas_dots_or_slashes_are_read_whole():
    def joined(view):  # windows of more than one group
        (run,) = digit_runs(view)
        return [window.digits for window in run.windows(view, ANY) if window.last > window.first]

    assert joined("6222.0212.3456.7894") == ["6222021234567894"]  # not "62220212": a part of the list
    assert joined("541443、754494、789,407") == []  # a 3-digit group inside: amounts
    assert windows("2024/11/20") == ["2024", "11", "20"]


def test_leading_windows_end_a_number():
    (run,) = digit_runs("483920，20")
    assert [w.digits for w in run.leading("483920，20", range(4, 9))] == ["48392020", "483920"]
    (run,) = digit_runs("139 8765 4321")
    assert run.leading("139 8765 4321", range(4, 9)) == []  # the start of a longer number split the same way
    (run,) = digit_runs("2024-11")
    assert run.leading("2024-11", range(4, 5)) == []


def test_run_at_a_position_that_starts_one():
    view = "验证码 483 920 好"
    run = run_at(view, 4)
    assert run is not None and [view[s:e] for s, e in run.groups] == ["483", "920"]
    assert run_at(view, 5) is None  # inside a group
    assert run_at(view, 3) is None


def test_longest_first_picks_the_longest_then_the_first_without_overlap():
    short = Window(0, 0, "1234", 0, 4)
    long = Window(0, 1, "12345678", 0, 9)
    other = Window(1, 1, "5678", 5, 9)
    later = Window(2, 2, "9999", 10, 14)
    assert longest_first([(short, 4, "k"), (other, 9, "k"), (long, 9, "k"), (later, 14, "k")]) == [
        (0, 9, "k"), (10, 14, "k")]


def test_reading_a_run_is_linear_in_its_groups():
    view = "1234 " * 2000
    (run,) = digit_runs(view)
    assert len(list(run.windows(view, range(13, 20)))) == 2000 - 3  # one window of 4 groups from each start


def test_digits_read_out_one_by_one_are_read_whole():
    view = "6 2 2 2 0 2 1 2 3 4 5 6 7 8 9 0 1 2 8"
    (run,) = digit_runs(view)
    assert [w.digits for w in run.windows(view, range(13, 20))] == ["6222021234567890128"]
    assert windows("1 " * 2000, range(13, 20)) == []  # 2000 digits read out: not a number of 13 to 19


def test_runs_too_short_for_the_digits_asked_are_skipped():
    view = "12:30 付了 88 元，卡号 6222 0212 3456 7894"
    assert [view[run.start:run.end] for run in digit_runs(view, 13)] == ["6222 0212 3456 7894"]
    assert len(list(digit_runs(view))) == 4

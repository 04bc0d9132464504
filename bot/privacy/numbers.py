"""Numbers as people split them: groups of digits joined by separators, and the ways of reading them.

A run is groups of ASCII digits (in `bot.privacy.digits.digit_view`) joined by
1 to 3 separator characters: spaces and line breaks (also the ideographic
space), dashes, dots, slashes, underscores, commas ("，" and "、" too), full-width
ones folded by `bot.privacy.widths` first. "6222.0212 3456" is one run of
three groups.

A window is consecutive whole groups of a run that could be one number as
someone split it (`Run.windows`):

- the separators inside it are of one class ("6222-0212-3456", "6222 0212\\n3456",
  not "2024-11-20 12" mixing dashes and spaces);
- its groups are all single digits ("6 2 2 2", read out one by one), or all
  but the last have 3 digits or more: "2024 11 20" is a date, not a number
  split in groups;
- with commas, dots or slashes, which also separate amounts, dates, versions
  and lists ("1,234.56", "2024/11/20", "590459、924387"), all groups but the
  last have 4 digits or more, and the window is all the groups joined by that
  class, not a part of them ("541443、754494、789,407.66" is no number);
- digits read out one by one are read whole too: "6 2 2 2 … 1 2 8" is one
  number, not any 13 of its digits in a row.

The pattern has no nested quantifier that can backtrack more than the 3
separator characters, windows stop at the most digits asked for (19 for a
card), and each is checked from the one before in constant time, so reading
a run is linear in its length.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterator, List, NamedTuple, Tuple

_SEPARATOR_CLASSES: Dict[str, str] = {
    **dict.fromkeys(" \t\r\n\u3000\u00a0\u2009\u202f", " "),
    **dict.fromkeys("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    **dict.fromkeys(".\u00b7\u30fb\u2022\u2027", "."),
    **dict.fromkeys("/\\", "/"),
    "_": "_",
    **dict.fromkeys(",，、", ","),
}
SEPARATORS = "".join(_SEPARATOR_CLASSES)
_RUN = re.compile(f"[0-9]+(?:[{re.escape(SEPARATORS)}]{{1,3}}[0-9]+)*")
_GROUP = re.compile("[0-9]+")
#: The fewest digits of each group but the last, when groups are not single digits.
MIN_GROUP = 3
#: Separator classes that also separate amounts, dates and lists, and the fewest digits of a group they split.
LIST_CLASSES = frozenset(",./")
MIN_LIST_GROUP = 4


def separator_class(separator: str) -> str:
    """" - " → "-", " \\n " → " ": the class of its characters that are not spaces (spaces if all are)."""
    classes = {_SEPARATOR_CLASSES[char] for char in separator} - {" "}
    return "".join(sorted(classes)) or " "


class Window(NamedTuple):
    """Groups `first` to `last` of a run: their digits, and where they start and end in the text."""

    first: int
    last: int
    digits: str
    start: int
    end: int


@dataclass(frozen=True)
class Run:
    """A run of digit groups: each group's (start, end), and the class of the separator after each but the last."""

    groups: Tuple[Tuple[int, int], ...]
    separators: Tuple[str, ...]

    @property
    def start(self) -> int:
        return self.groups[0][0]

    @property
    def end(self) -> int:
        return self.groups[-1][1]

    def digits(self, view: str, first: int = 0, last: int | None = None) -> str:
        last = len(self.groups) - 1 if last is None else last
        return "".join(view[start:end] for start, end in self.groups[first:last + 1])

    def _whole(self, first: int, last: int, separator: str | None, ones: bool) -> bool:
        """Groups joined by commas, dots or slashes, and digits read out one by one, are taken all together."""
        if last == first or not (ones or separator in LIST_CLASSES):
            return True
        return not (self._continues(first - 1, first - 1, separator, ones)
                    or self._continues(last, last + 1, separator, ones))

    def _continues(self, separator_index: int, group: int, separator: str | None, ones: bool) -> bool:
        """The same separator joins `group` to the window, and (for digits read out) it is a single digit too."""
        if not 0 <= separator_index < len(self.separators) or self.separators[separator_index] != separator:
            return False
        start, end = self.groups[group]
        return not ones or end - start == 1

    def leading(self, view: str, lengths: range) -> List[Window]:
        """Plausible windows from the first group with a number of digits in `lengths` that end a number, longest first.

        It ends a number when it ends the run, or when the separator after it is
        of another class than those inside it ("483920，20 秒": the comma); after a
        single group, a space or a comma ("4471 能用吗" but not "2024-11").
        """
        return [window for window in self.windows(view, lengths, first=0) if self._ends_number(window)][::-1]

    def _ends_number(self, window: Window) -> bool:
        if window.last == len(self.groups) - 1:
            return True
        after, inside = self.separators[window.last], set(self.separators[window.first:window.last])
        return after not in inside if inside else after in (" ", ",")

    def windows(self, view: str, lengths: range, first: int | None = None) -> Iterator[Window]:
        """Plausible windows with a number of digits in `lengths`, starting at group `first` (or at each group)."""
        starts = range(len(self.groups)) if first is None else (first,)
        for start_group in starts:
            yield from self._windows(start_group, lengths, view)

    def _windows(self, first: int, lengths: range, view: str) -> Iterator[Window]:
        """Plausible windows from group `first`, each checked in constant time from the one before."""
        groups, separators = self.groups, self.separators
        separator: str | None = None
        ones = interior_long = True
        digits = ""
        # Inside digits read out one by one, only the group alone: a longer window would not take them all.
        alone = (0 < first < len(separators) and groups[first][1] - groups[first][0] == 1
                 and self._continues(first - 1, first - 1, separators[first], True))
        for last in range(first, len(groups)):
            start, end = groups[last]
            if last > first:
                if alone:
                    return
                following = separators[last - 1]
                if separator is not None and following != separator:
                    return
                separator = following
                if interior_long:
                    before_start, before_end = groups[last - 1]
                    interior_long = before_end - before_start >= (
                        MIN_LIST_GROUP if separator in LIST_CLASSES else MIN_GROUP)
            if ones:
                ones = end - start == 1 and separator not in LIST_CLASSES
            digits += view[start:end]
            if len(digits) >= lengths.stop or not (ones or interior_long):
                return
            if len(digits) >= lengths.start and self._whole(first, last, separator, ones):
                yield Window(first, last, digits, groups[first][0], end)


def _run(view: str, match: re.Match) -> Run:
    groups: List[Tuple[int, int]] = [group.span() for group in _GROUP.finditer(view, match.start(), match.end())]
    separators = tuple(separator_class(view[before[1]:after[0]]) for before, after in zip(groups, groups[1:], strict=False))
    return Run(tuple(groups), separators)


def digit_runs(view: str, fewest: int = 1) -> Iterator[Run]:
    """Every run of digit groups in `view` (a `digit_view`) that may hold `fewest` digits, in order."""
    for match in _RUN.finditer(view):
        if match.end() - match.start() >= fewest:
            yield _run(view, match)


def run_at(view: str, position: int) -> Run | None:
    """The run of digit groups starting at `position` of `view`, if one does (and did not start before)."""
    if position > 0 and view[position - 1].isascii() and view[position - 1].isdigit():
        return None
    match = _RUN.match(view, position)
    return _run(view, match) if match else None


def longest_first(candidates: List[Tuple[Window, int, str]]) -> List[Tuple[int, int, str]]:
    """Spans (window start, `end`, kind) of candidate windows of one run: the longest win, then the first, no overlap."""
    spans: List[Tuple[int, int, str]] = []
    taken: set[int] = set()
    for window, end, kind in sorted(candidates, key=lambda c: (-len(c[0].digits), c[0].first)):
        groups = range(window.first, window.last + 1)
        if taken.isdisjoint(groups):
            taken.update(groups)
            spans.append((window.start, end, kind))
    return spans

"""Every path through a guide, on the pure progression functions."""
from bot.content.catalog import load_guides
from bot.guides.progress import COMPLETED, EXHAUSTED, Position, already_done, go_on, not_solved, start

PAYMENT = load_guides()["payment_failed"]
WITHDRAW = load_guides()["withdraw"]


def test_start_shows_the_first_step():
    move = start(PAYMENT, "付款失败了")
    assert move.show_step and move.position.step == 1 and not move.skipped


def test_start_skips_steps_the_first_message_rules_out():
    move = start(PAYMENT, "付款失败，网络没问题，余额也够")
    assert move.position.step == 3
    assert move.skipped
    assert {"network", "balance"} <= move.position.done


def test_not_solved_walks_to_the_end_then_runs_out():
    position = start(PAYMENT, "").position
    for expected in range(2, len(PAYMENT.steps) + 1):
        move = not_solved(position)
        assert move.show_step and move.position.step == expected
        position = move.position
    last = not_solved(position)
    assert last.outcome == EXHAUSTED and not last.show_step


def test_not_solved_skips_a_later_step_already_done():
    position = Position(PAYMENT, step=3, done=frozenset({"restart_app"}))
    assert not_solved(position).position.step == 5


def test_already_done_current_step_moves_on():
    position = Position(PAYMENT, step=4)
    move = already_done(position, "我已经重启过了")
    assert move.position.step == 5 and move.skipped


def test_already_done_without_naming_a_step_means_the_current_one():
    move = already_done(Position(PAYMENT, step=1), "这个试过了")
    assert move.position.step == 2


def test_already_done_for_a_later_step_is_noted_and_skipped_later():
    move = already_done(Position(PAYMENT, step=1), "我已经重启过了")
    assert move.noted_only and move.position.step == 1
    position = move.position
    for _ in range(2):
        position = not_solved(position).position
    assert position.step == 3
    assert not_solved(position).position.step == 5


def test_already_done_on_the_last_step_runs_out():
    move = already_done(Position(PAYMENT, step=5), "记录看过了，没有重复扣款")
    assert move.outcome == EXHAUSTED


def test_go_on_after_a_detour_shows_the_same_step_again():
    move = go_on(Position(PAYMENT, step=3), interrupted=True)
    assert move.show_step and move.position.step == 3


def test_go_on_without_a_detour_is_the_next_step():
    assert go_on(Position(WITHDRAW, step=2), interrupted=False).position.step == 3


def test_a_procedure_past_its_last_step_is_completed():
    move = go_on(Position(WITHDRAW, step=len(WITHDRAW.steps)), interrupted=False)
    assert move.outcome == COMPLETED


def test_a_troubleshooting_guide_past_its_last_step_has_run_out():
    move = go_on(Position(PAYMENT, step=len(PAYMENT.steps)), interrupted=False)
    assert move.outcome == EXHAUSTED

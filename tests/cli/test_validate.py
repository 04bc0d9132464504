from bot.cli.validate import unexpected_warnings

OUTPUT = """
/x/io.py:100: UserWarning: The utterance 'utter_guide_x_1' is not used in any story or rule.
/x/io.py:100: UserWarning: The utterance 'utter_forgotten' is not used in any story or rule.
/x/io.py:100: UserWarning: The following duplicated intents have been found across multiple domain files: faq
/x/io.py:100: UserWarning: Issue found in 'data/nlu.yml': bad example
"""


def test_only_warnings_about_action_responses_and_the_faq_merge_are_accepted():
    assert unexpected_warnings(OUTPUT, {"utter_guide_x_1"}) == [
        "The utterance 'utter_forgotten' is not used in any story or rule.",
        "Issue found in 'data/nlu.yml': bad example",
    ]


def test_clean_output_has_no_problems():
    assert unexpected_warnings("rasa.validator - No story structure conflicts found.", set()) == []

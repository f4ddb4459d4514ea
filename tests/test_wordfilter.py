"""The word filter flags listed words in any case and form, and nothing inside other words;
the README's printed samples pass it."""

from pathlib import Path

from wordfilter import unfit_words

README = Path(__file__).resolve().parents[1] / "README.md"


def test_flags_listed_words_in_any_case_and_form() -> None:
    assert unfit_words("The Shit of an object") == ["shit"]
    assert unfit_words("fucking (bitches)") == ["fucking", "bitches"]


def test_leaves_words_that_only_contain_one() -> None:
    text = "class assert assign Scunthorpe cockpit passes shitake analyse"
    assert unfit_words(text) == []


def test_the_readme_prints_no_unfit_word() -> None:
    assert unfit_words(README.read_text(encoding="utf-8")) == []

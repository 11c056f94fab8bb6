import pytest

from omeconsole.core.text.addresses import normalize_address, normalize_domain, parse_patterns
from omeconsole.core.errors import UsageError


def test_addresses_are_lower_cased_and_trimmed():
    assert normalize_address("  Bob.Kelly@GMail.com ") == "bob.kelly@gmail.com"
    assert normalize_address("<bob@gmail.com>") == "bob@gmail.com"


@pytest.mark.parametrize("bad", ["", "bob", "bob@", "@gmail.com", "bob@gmail", "bo b@gmail.com",
                                 ".bob@gmail.com", "bob..k@gmail.com", "bob@-gmail.com", "a" * 300 + "@x.com"])
def test_bad_addresses_are_refused_in_one_line(bad):
    with pytest.raises(UsageError) as info:
        normalize_address(bad)
    assert "\n" not in str(info.value)


def test_domain_patterns_match_only_that_domain():
    [pattern] = parse_patterns(["*@Gmail.com"])
    assert pattern.matches("bob@gmail.com")
    assert not pattern.matches("bob@notgmail.com")
    assert not pattern.matches("bob@mail.gmail.com")


def test_several_patterns_in_one_value_and_repeated():
    patterns = parse_patterns(["bob@gmail.com, *@yahoo.com", "eve@contoso.com"])
    assert [p.text for p in patterns] == ["bob@gmail.com", "*@yahoo.com", "eve@contoso.com"]


@pytest.mark.parametrize("bad", ["*@", "*@nodot", "bob*@gmail.com", "*"])
def test_bad_patterns_are_refused(bad):
    with pytest.raises(UsageError):
        parse_patterns([bad])


def test_domains():
    assert normalize_domain(" Contoso.COM. ") == "contoso.com"
    with pytest.raises(UsageError):
        normalize_domain("contoso")

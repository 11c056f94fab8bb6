import pytest

from omeconsole.core.errors import UsageError
from omeconsole.core.text.message_ids import normalize_message_id

CANONICAL = "<BY5PR19MB3384A1B2C3D4E5F6@by5pr19mb3384.namprd19.prod.outlook.com>"


@pytest.mark.parametrize("pasted", [
    "<BY5PR19MB3384A1B2C3D4E5F6@BY5PR19MB3384.namprd19.prod.outlook.com>",
    "BY5PR19MB3384A1B2C3D4E5F6@BY5PR19MB3384.namprd19.prod.outlook.com",
    "  <BY5PR19MB3384A1B2C3D4E5F6@BY5PR19MB3384.namprd19.prod.outlook.com>  ",
    "<BY5PR19MB3384A1B2C3D4E5F6@BY5PR19MB3384.namprd19.prod.outlook.com>.",
    "BY5PR19MB3384A1B2C3D4E5F6@by5pr19mb3384.NAMPRD19.prod.outlook.com.",
    '"<BY5PR19MB3384A1B2C3D4E5F6@BY5PR19MB3384.namprd19.prod.outlook.com>"',
    "BY5PR19MB3384A1B2C3D4E5F6@BY5PR19MB3384.namprd19.prod.outlook.com>",
    "\t<BY5PR19MB3384A1B2C3D4E5F6@BY5PR19MB3384.namprd19.prod.outlook.com\n",
])
def test_every_pasted_shape_normalises_to_one_form(pasted):
    assert normalize_message_id(pasted) == CANONICAL


def test_the_left_part_keeps_its_case():
    assert normalize_message_id("<AbC@Example.COM>") == "<AbC@example.com>"
    assert normalize_message_id("<abc@example.com>") != normalize_message_id("<ABC@example.com>")


def test_a_domain_literal_is_accepted():
    assert normalize_message_id("<123.456@[192.0.2.1]>") == "<123.456@[192.0.2.1]>"


@pytest.mark.parametrize("bad", [
    "", "   ", "<>", "no-at-sign", "<two@@at.com>", "<has space@x.com>", "<a@b@c>", "@x.com", "<a@>",
    "<a..b@x.com>", "<a@x..com>", "<é@x.com>", "<a@x.com>>", "<<a@x.com>", "a@" + "x" * 2000,
])
def test_malformed_ids_give_one_line_errors(bad):
    with pytest.raises(UsageError) as info:
        normalize_message_id(bad)
    assert "\n" not in str(info.value)
    assert "Message ID" in str(info.value)

"""Each revocation condition and each actor rule (domain.md section 2), on the one function."""

import itertools
import random
from dataclasses import replace
from datetime import timedelta

import pytest
from support.clock import utc
from support.decisions import status_word

from omeconsole.core.demo.contoso import build_tenant
from omeconsole.core.mail.flow import Draft, compose
from omeconsole.core.mail.model import EncryptionMethod, Protection, Revocation
from omeconsole.core.rules import Actor, can_read, check_revocation, revocation_status
from omeconsole.core.tenant.model import DEFAULT_TEMPLATE, License, Role

NOW = utc(2026, 11, 22, 12)
ADMIN = Actor("admin@contoso.com", Role.GLOBAL_ADMIN)
HELPDESK = Actor("lynne.robbins@contoso.com", Role.HELPDESK)
SENDER = Actor("megan.bowen@contoso.com", Role.USER)
OTHER = Actor("diego.siciliani@contoso.com", Role.USER)
OUTSIDER = Actor("mallory@evil.example", None)


def message(recipients=("bob.kelly@gmail.com",), protection=Protection.DO_NOT_FORWARD,
            template="Contoso Secure", received=NOW - timedelta(days=1), tenant=None):
    draft = Draft("megan.bowen@contoso.com", list(recipients), "Salary", "body", received, protection,
                  EncryptionMethod.USER, template)
    return compose(tenant or build_tenant(), draft, random.Random(1))


def reasons(msg, actor=ADMIN, tenant=None):
    return check_revocation(msg, actor, tenant or build_tenant(), NOW)


def test_a_message_that_meets_every_condition_is_revocable_with_no_reasons():
    decision = reasons(message())
    assert decision.is_revocable and decision.allowed and decision.reasons == ()
    assert decision.acting_as == "admin" and decision.revoked is False


@pytest.mark.parametrize("license,premium,needle", [
    (License.E3, True, "does not include Advanced Message Encryption"),
    (License.E5, False, "Premium Encryption in Office 365 service plan is disabled"),
])
def test_condition_1_the_tenant_needs_advanced_message_encryption(license, premium, needle):
    tenant = replace(build_tenant(), license=license, premium_encryption=premium)
    decision = reasons(message(tenant=tenant), tenant=tenant)
    assert not decision.is_revocable
    assert [r for r in decision.reasons if needle in r]


@pytest.mark.parametrize("license", [License.E5, License.A5, License.E3_E5_COMPLIANCE])
def test_condition_1_the_licences_that_include_it(license):
    tenant = replace(build_tenant(), license=license)
    assert reasons(message(tenant=tenant), tenant=tenant).is_revocable


def test_condition_2_the_message_must_be_encrypted():
    decision = reasons(message(protection=Protection.NONE, template=None))
    assert decision.reasons == ("the message was not encrypted (neither Encrypt-Only nor Do Not Forward)",)


def test_condition_3_a_custom_branding_template():
    decision = reasons(message(template=DEFAULT_TEMPLATE))
    assert len(decision.reasons) == 1 and "no custom branding template" in decision.reasons[0]


def test_condition_4_at_least_one_link_based_recipient():
    decision = reasons(message(recipients=("ray.chen@fabrikam.com", "ana.lopez@outlook.com", "lee.gu@contoso.com")))
    assert len(decision.reasons) == 1 and "link-based" in decision.reasons[0]


def test_condition_5_not_already_revoked():
    msg = message()
    msg.revocation = Revocation(NOW - timedelta(hours=1), "admin@contoso.com", "admin", "cli")
    decision = reasons(msg)
    assert decision.revoked and not decision.is_revocable
    assert "already revoked" in decision.reasons[0] and "admin@contoso.com" in decision.reasons[0]


def test_condition_6_not_expired():
    msg = message(template="Contoso Finance", received=NOW - timedelta(days=8))
    assert msg.expires_at == NOW - timedelta(days=1)
    decision = reasons(msg)
    assert len(decision.reasons) == 1 and "expired" in decision.reasons[0]
    assert reasons(message(template="Contoso Finance", received=NOW - timedelta(days=6))).is_revocable


def test_every_failing_condition_is_a_reason_at_once():
    tenant = replace(build_tenant(), license=License.E3)
    msg = message(recipients=("ray.chen@fabrikam.com",), template=DEFAULT_TEMPLATE, tenant=tenant)
    decision = reasons(msg, tenant=tenant)
    assert len(decision.reasons) == 3


@pytest.mark.parametrize("license,premium", [(License.E5, True), (License.E3, True), (License.E5, False)])
def test_revocation_status_is_check_revocations_answer_in_every_case(license, premium):
    """The report's one word comes from the same conditions: revocable, revoked, expired, not encrypted,
    imported, the default template, native recipients only, the licence off; each alone and together."""
    tenant = replace(build_tenant(), license=license, premium_encryption=premium)
    seen = set()
    for protection, template, recipients, age, revoked in itertools.product(
            (Protection.DO_NOT_FORWARD, Protection.ENCRYPT_ONLY, Protection.NONE, None),
            ("Contoso Secure", "Contoso Finance", DEFAULT_TEMPLATE, None),
            (("bob.kelly@gmail.com",), ("ray.chen@fabrikam.com",), ("ray.chen@fabrikam.com", "bob.kelly@gmail.com")),
            (timedelta(days=1), timedelta(days=8)), (False, True)):
        msg = message(recipients, Protection.NONE if protection is None else protection, template,
                      NOW - age, tenant)
        msg.protection = protection  # None: imported, no encryption record
        if revoked:
            msg.revocation = Revocation(NOW - timedelta(hours=1), "admin@contoso.com", "admin", "cli")
        for actor in (ADMIN, SENDER, OUTSIDER):
            word = revocation_status(msg, tenant, NOW)
            assert word == status_word(check_revocation(msg, actor, tenant, NOW))
            seen.add(word)
    assert seen == ({"Revocable", "Revoked", "Not revocable"} if license is License.E5 and premium
                    else {"Revoked", "Not revocable"})


def test_an_imported_message_says_the_store_holds_no_encryption_record():
    msg = message()
    msg.protection = None
    assert any("no encryption record" in r for r in reasons(msg).reasons)


def test_experience_is_per_recipient():
    msg = message(recipients=("bob.kelly@gmail.com", "ray.chen@fabrikam.com", "kim.park@hotmail.com",
                              "lee.gu@contoso.com", "x@contoso.onmicrosoft.com"))
    assert [r.experience.value for r in msg.recipients] == ["link-based", "native", "native", "native", "native"]


# -- who may act -------------------------------------------------------------------------

def test_the_sender_may_remove_external_access_for_one_link_based_recipient():
    decision = reasons(message(), SENDER)
    assert decision.allowed and decision.acting_as == "sender"


def test_the_sender_may_not_when_there_are_several_recipients():
    decision = reasons(message(recipients=("bob.kelly@gmail.com", "eve.martin@yahoo.com")), SENDER)
    assert decision.is_revocable and not decision.allowed
    assert "exactly one recipient" in decision.actor_reasons[0]
    assert reasons(message(recipients=("bob.kelly@gmail.com", "eve.martin@yahoo.com")), ADMIN).allowed


def test_the_sender_may_not_when_the_only_recipient_is_native():
    decision = reasons(message(recipients=("ray.chen@fabrikam.com",)), SENDER)
    assert not decision.allowed
    assert "native experience" in decision.actor_reasons[0]


@pytest.mark.parametrize("actor,needle", [
    (HELPDESK, "changes nothing"), (OTHER, "only the sender or a Global Administrator"),
    (OUTSIDER, "not a user of this tenant"),
])
def test_anyone_else_may_look_never_revoke(actor, needle):
    decision = reasons(message(), actor)
    assert decision.is_revocable and not decision.allowed
    assert needle in decision.actor_reasons[0]


def test_status_is_the_same_whoever_asks_only_standing_differs():
    msg = message()
    assert {reasons(msg, a).reasons for a in (ADMIN, HELPDESK, SENDER, OTHER, OUTSIDER)} == {()}


def test_who_may_read():
    msg = message()
    assert can_read(ADMIN, msg) and can_read(HELPDESK, msg) and can_read(SENDER, msg)
    assert not can_read(OTHER, msg) and not can_read(OUTSIDER, msg)

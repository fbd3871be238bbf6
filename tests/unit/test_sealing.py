"""Secrets sealed at rest (chassis.sealing): what the database keeps of a webhook's signing secret,
how a key is rotated, and what a key that does not fit does (an error, never a wrong signature)."""
import os
import stat

import pytest
from cryptography.fernet import Fernet
from standardwebhooks import Webhook

from chassis.sealing import SealingKeys, Unreadable, new_key
from infra import network
from services.notifications import dispatch, signing_secrets, webhooks

SETTING = "ONENET_WEBHOOK_SECRET_KEYS"
OLD, NEW, STRANGER = new_key(), new_key(), new_key()


def keys(*chosen):
    return SealingKeys(list(chosen), SETTING)


def test_a_sealed_secret_holds_neither_the_secret_nor_its_key_and_opens_to_it():
    secret = webhooks.new_secret()
    sealed = keys(NEW).seal(secret)
    assert secret not in sealed and secret[len("whsec_"):] not in sealed
    assert sealed != keys(NEW).seal(secret)   # a fresh IV each time: equal secrets do not show
    assert keys(NEW).open(sealed) == secret
    body = b'{"type":"notice.created"}'
    assert webhooks.signature(keys(NEW).open(sealed), "dlv_1", 1700000000, body) == \
        webhooks.signature(secret, "dlv_1", 1700000000, body)


@pytest.mark.parametrize("stored", [
    keys(STRANGER).seal("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),   # another key's
    "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",                          # never sealed
    keys(NEW).seal("whsec_x")[:-4] + "AAAA",                                     # changed
    "",
])
def test_a_secret_the_keys_do_not_open_is_an_error_naming_the_setting(stored):
    with pytest.raises(Unreadable, match="opens with none of the 2 key\\(s\\) of ONENET_WEBHOOK_SECRET_KEYS"):
        keys(NEW, OLD).open(stored)
    with pytest.raises(Unreadable):
        keys(NEW, OLD).reseal(stored)


def test_rotation_the_first_key_seals_every_key_opens_and_a_resealed_secret_needs_only_the_new_one():
    secret = webhooks.new_secret()
    under_old = keys(OLD).seal(secret)
    during = keys(NEW, OLD)
    assert during.open(under_old) == secret
    with pytest.raises(Unreadable):
        keys(OLD).open(during.seal(secret))          # new secrets are sealed under the new key
    resealed = during.reseal(under_old)
    assert keys(NEW).open(resealed) == secret       # the old key may go
    with pytest.raises(Unreadable):
        keys(OLD).open(resealed)
    with pytest.raises(Unreadable):
        keys(NEW).open(under_old)                   # removed before the reseal: an error, not a wrong secret


@pytest.mark.parametrize("value, count", [
    (f"{NEW},{OLD}", 2), (f" {NEW} , {OLD} ,", 2), ([NEW], 1), (NEW, 1),
])
def test_the_keys_come_from_one_comma_separated_setting(value, count):
    assert SealingKeys.from_setting(value, SETTING).count == count


@pytest.mark.parametrize("value", [None, "", " , ", []])
def test_without_a_key_the_service_does_not_start(value):
    with pytest.raises(ValueError, match="no sealing key configured: set ONENET_WEBHOOK_SECRET_KEYS"):
        SealingKeys.from_setting(value, SETTING)
    with pytest.raises(ValueError, match="ONENET_WEBHOOK_SECRET_KEYS"):
        dispatch.Settings({"WEBHOOK_SECRET_KEYS": value})


@pytest.mark.parametrize("bad", ["not-a-key", Fernet.generate_key().decode()[:-2], "whsec_" + "A" * 43])
def test_a_key_that_is_not_a_fernet_key_is_refused_by_position(bad):
    with pytest.raises(ValueError, match="key 2 of ONENET_WEBHOOK_SECRET_KEYS is not a Fernet key"):
        SealingKeys.from_setting(f"{NEW},{bad}", SETTING)


def test_the_service_reads_its_keys_from_its_config():
    settings = dispatch.Settings({"WEBHOOK_SECRET_KEYS": f"{NEW},{OLD}"})
    assert settings.secret_keys.open(keys(OLD).seal("whsec_x")) == "whsec_x"
    assert signing_secrets.keys_of({"WEBHOOK_SECRET_KEYS": NEW}).count == 1


@pytest.fixture
def sent(monkeypatch):
    """What ``dispatch.send_webhook`` would POST (no network): a list of ``(body, headers)``."""
    posts = []
    monkeypatch.setattr(webhooks, "resolve", lambda url, rules: "checked destination")
    monkeypatch.setattr(webhooks, "post", lambda destination, body, headers, *options:
                        posts.append((body, headers)) or webhooks.Answer(True, 200, None, 1))
    return posts


def test_a_delivery_is_signed_with_the_opened_secret_so_the_subscriber_verifies_it(sent):
    secret = webhooks.new_secret()
    settings = dispatch.Settings({"WEBHOOK_SECRET_KEYS": f"{NEW},{OLD}"})
    for sealed in (keys(NEW).seal(secret), keys(OLD).seal(secret)):
        answer = dispatch.send_webhook(settings, {"id": 7, "url": "https://hooks.example.cn/in", "secret": sealed},
                                       "dlv_7", b'{"type":"notice.created"}')
        assert answer.delivered
    for body, headers in sent:
        assert Webhook(secret).verify(body, headers) == {"type": "notice.created"}


def test_a_secret_the_keys_do_not_open_sends_nothing_and_says_why(sent):
    settings = dispatch.Settings({"WEBHOOK_SECRET_KEYS": NEW})
    answer = dispatch.send_webhook(settings, {"id": 7, "url": "https://hooks.example.cn/in",
                                              "secret": keys(OLD).seal(webhooks.new_secret())},
                                   "dlv_7", b"{}")
    assert (answer.delivered, answer.status) == (False, None)
    assert answer.error.startswith(dispatch.UNREADABLE) and "ONENET_WEBHOOK_SECRET_KEYS" in answer.error
    assert sent == []


def test_new_keys_are_fernet_keys_and_differ():
    assert Fernet(new_key()) and new_key() != new_key()


def test_make_run_makes_a_key_once_and_keeps_it_for_the_next_run(tmp_path):
    path = str(tmp_path / ".run" / "webhook-secret-keys")
    first, second, chosen = {}, {}, {"ONENET_WEBHOOK_SECRET_KEYS": NEW}
    network.local_webhook_keys(first, path)
    network.local_webhook_keys(second, path)
    network.local_webhook_keys(chosen, path)
    assert SealingKeys.from_setting(first["ONENET_WEBHOOK_SECRET_KEYS"], SETTING).count == 1
    assert second == first and chosen == {"ONENET_WEBHOOK_SECRET_KEYS": NEW}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

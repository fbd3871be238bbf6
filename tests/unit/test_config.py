import pytest

from chassis import config


@pytest.mark.parametrize("text, env, expected", [
    ("uri: ${AMQP:amqp://localhost}", {}, "uri: amqp://localhost"),
    ("uri: ${AMQP:amqp://localhost}", {"AMQP": "amqp://broker"}, "uri: amqp://broker"),
    ("port: ${PORT:8000}", {"PORT": ""}, "port: "),
    ("a: ${X:1} b: ${Y:2}", {"Y": "9"}, "a: 1 b: 9"),
    ("delays: [${D:1, 5, 30}]", {}, "delays: [1, 5, 30]"),
])
def test_env_references_take_the_environment_or_the_default(monkeypatch, text, env, expected):
    for name in ("AMQP", "PORT", "X", "Y", "D"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert config.expand(text) == expected


def test_reference_without_default_requires_the_variable(monkeypatch):
    monkeypatch.delenv("ONENET_NOT_SET", raising=False)
    with pytest.raises(KeyError, match="ONENET_NOT_SET"):
        config.expand("x: ${ONENET_NOT_SET}")


def test_every_process_config_loads_with_defaults():
    from infra.network import PROCESSES, load_config
    for process in PROCESSES:
        loaded = load_config(process)
        assert loaded["SERVICE"].endswith("Service")
        assert loaded["AMQP_URI"].startswith("amqp://")


@pytest.mark.parametrize("url, user, password, expected", [
    ("amqp://rabbitmq:5672/", "onenet_requests", "s3cret",
     "amqp://onenet_requests:s3cret@rabbitmq:5672/"),
    ("amqp://guest:guest@127.0.0.1:5672/onenet_test", "onenet_test_gateway", "a/b:c@d",
     "amqp://onenet_test_gateway:a%2Fb%3Ac%40d@127.0.0.1:5672/onenet_test"),
    ("postgresql://postgres@127.0.0.1:5432/onenet", "onenet_requests", "pw",
     "postgresql://onenet_requests:pw@127.0.0.1:5432/onenet"),
])
def test_own_credentials_replace_whatever_the_url_carried(url, user, password, expected):
    assert config.with_credentials(url, user, password) == expected


def test_a_process_uses_its_own_accounts_only_when_their_passwords_are_set():
    shared = {"AMQP_URI": "amqp://guest:guest@h:5672/v", "DATABASE_URL": "postgresql://postgres@h/db",
              "AMQP_USER": "onenet_requests", "DB_USER": "onenet_requests"}
    assert config.with_own_accounts({**shared, "AMQP_PASSWORD": "", "DB_PASSWORD": ""}) == {
        **shared, "AMQP_PASSWORD": "", "DB_PASSWORD": ""}
    own = config.with_own_accounts({**shared, "AMQP_PASSWORD": "a", "DB_PASSWORD": "d"})
    assert (own["AMQP_URI"], own["DATABASE_URL"]) == (
        "amqp://onenet_requests:a@h:5672/v", "postgresql://onenet_requests:d@h/db")

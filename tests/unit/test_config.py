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

"""One service container at a time, in this process, on the real broker and database."""
import pytest
from nameko.containers import ServiceContainer

from chassis import config as process_config


@pytest.fixture
def container_for(prepared_stack):
    """``container_for(ServiceClass, "services/x/config.yml", **overrides)``: a started container.

    It connects as the administrator, not as the config's own role and user: the
    classes under test here often carry names of their own, which those accounts
    (confined to the real service's queues) may not use.
    """
    started = []

    def make(service_cls, config_path, **overrides):
        config = process_config.load(config_path)
        config.update(overrides)
        container = ServiceContainer(service_cls, config)
        container.start()
        started.append(container)
        return container

    yield make
    for container in started:
        container.stop()


@pytest.fixture(scope="module")
def enterprises_container(prepared_stack):
    """One enterprises container for a module (starting and stopping one takes seconds)."""
    from services.enterprises.service import EnterprisesService
    container = ServiceContainer(EnterprisesService,
                                 process_config.load("services/enterprises/config.yml"))
    container.start()
    yield container
    container.stop()


@pytest.fixture
def enterprises(enterprises_container):
    """An RPC proxy to the module's enterprises container."""
    from tests.stack import rpc
    with rpc("enterprises") as proxy:
        yield proxy

"""One service container at a time, in this process, on the real broker and database."""
import pytest
from nameko.containers import ServiceContainer

from chassis import config as process_config


@pytest.fixture
def container_for(prepared_stack):
    """``container_for(ServiceClass, "services/x/config.yml", **overrides)``: a started container."""
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

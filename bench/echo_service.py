"""The framework's own ceiling for ``bench_gateway.py``: a bare nameko ``@http`` → ``@rpc`` echo.

    python bench/echo_service.py rpc AMQP_URI
    python bench/echo_service.py http AMQP_URI PORT

Two processes, as the gateway and a service are: ``GET /echo`` on the HTTP side makes one
RPC call to the echo service and answers its JSON. Nothing of OneNet's (no chassis, no
authentication, rate limit, validation, database or logging): what nameko itself costs.
nameko's defaults throughout, publisher confirms on both the call and the reply included.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.rpc import RpcProxy, rpc  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.web.handlers import http  # noqa: E402


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


class EchoGateway:
    name = "bench_echo_gateway"

    echo = RpcProxy("bench_echo")

    @http("GET", "/echo")
    def get(self, request):
        return 200, {"Content-Type": "application/json"}, json.dumps(self.echo.echo({"echo": "ok"}))


def main(argv):
    side, amqp_uri = argv[0], argv[1]
    config = {"AMQP_URI": amqp_uri}
    if side == "http":
        config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{argv[2]}"
    runner = ServiceRunner(config)
    runner.add_service(EchoGateway if side == "http" else EchoService)
    runner.start()
    stopping = eventlet.event.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.ready() or stopping.send())
    stopping.wait()
    runner.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Message bodies are read with one JSON decoder, as kombu's own codec reads them (chassis/serialization.py)."""
import json
from datetime import date
from decimal import Decimal

import pytest
from kombu.serialization import loads as kombu_decode
from kombu.utils import json as kombu_json

from chassis import serialization

BODIES = [
    json.dumps({"event_id": "6d1c", "payload": {"name": "广州示例智能装备有限公司", "figures": [{"year": 2024}]}},
               ensure_ascii=False).encode(),
    kombu_json.dumps({"amount": Decimal("1.50"), "day": date(2024, 5, 1)}).encode(),
    b"[1, 2.5, null, true, \"\\u5e7f\"]",
    bytearray(b"{\"a\": {}}"),
    memoryview(b"{\"a\": []}"),
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_a_body_reads_as_kombus_codec_reads_it(body):
    assert serialization.loads(body) == kombu_json.loads(body)
    assert kombu_decode(bytes(body), "application/json", "utf-8") == kombu_json.loads(body)


@pytest.mark.parametrize("body", [b"\xef\xbb\xbf{}", b"{", b"\xff", b"{\"a\": 1} x"])
def test_a_body_kombus_codec_refuses_is_refused_with_the_same_error(body):
    with pytest.raises(Exception) as ours:
        serialization.loads(body)
    with pytest.raises(Exception) as kombus:
        kombu_json.loads(body)
    assert (type(ours.value), str(ours.value)) == (type(kombus.value), str(kombus.value))


def test_importing_the_chassis_imports_nothing_that_eventlet_must_patch_first():
    """``python -m chassis.serve`` imports the package before it calls ``eventlet.monkey_patch()``: a
    socket, threading or AMQP module imported there keeps the unpatched calls, and the process's
    connections to the broker then never finish their handshake after a broker restart."""
    import subprocess
    import sys
    code = ("import sys; import chassis; "
            "print(sorted(name for name in sys.modules if name.split('.')[0] in "
            "('socket', 'select', 'ssl', 'threading', 'kombu', 'amqp', 'psycopg2', 'nameko')))")
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert imported.strip() == "[]"

"""JSON message bodies read with one decoder for the process.

kombu's JSON codec passes its ``object_hook`` to ``json.loads`` for every message, and
``json.loads`` builds a new decoder (and its scanner) whenever it is given one: a tenth of
the time a consumer spends on a small event. :func:`loads` decodes exactly as kombu's codec
does, with one decoder built once; :func:`use` registers it for ``application/json`` (a process's
entry point calls it, once eventlet has patched the standard library).
"""
import json

from kombu.serialization import registry
from kombu.utils import json as kombu_json

_DECODER = json.JSONDecoder(object_hook=kombu_json.object_hook)


def loads(data):
    """``kombu.utils.json.loads``: text, or UTF-8 bytes, memoryview or bytearray, to Python."""
    if isinstance(data, memoryview):
        data = data.tobytes().decode("utf-8")
    elif isinstance(data, (bytes, bytearray)):
        data = data.decode("utf-8")
    if data.startswith("\ufeff"):  # as json.loads refuses it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
    return _DECODER.decode(data)


def use():
    """Make :func:`loads` the decoder of ``application/json`` messages in this process."""
    registry.register("json", kombu_json.dumps, loads, content_type="application/json", content_encoding="utf-8")


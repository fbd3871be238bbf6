import io

import pytest

from gateway.redis_script import ScriptFailed, ScriptRunner, command, read_reply


def test_a_command_is_an_array_of_bulk_strings():
    assert command("EVALSHA", "ab", 2, b"k\r\n") == b"*4\r\n$7\r\nEVALSHA\r\n$2\r\nab\r\n$1\r\n2\r\n$3\r\nk\r\n\r\n"


@pytest.mark.parametrize("wire, value", [
    (b":-2\r\n", -2),
    (b"$5\r\n12005\r\n", b"12005"),
    (b"$0\r\n\r\n", b""),
    (b"$-1\r\n", None),
    (b"+OK\r\n", "OK"),
    (b"*5\r\n:1\r\n$-1\r\n:-2\r\n$2\r\n42\r\n:117229\r\n", [1, None, -2, b"42", 117229]),
    (b"*2\r\n*1\r\n:1\r\n*0\r\n", [[1], []]),
])
def test_replies_are_read_as_redis_sends_them(wire, value):
    stream = io.BytesIO(wire + b":9\r\n")
    assert read_reply(stream) == value
    assert read_reply(stream) == 9   # exactly one reply was taken


def test_an_error_reply_says_what_redis_said():
    with pytest.raises(ScriptFailed, match="NOSCRIPT No matching script"):
        read_reply(io.BytesIO(b"-NOSCRIPT No matching script\r\n"))


@pytest.mark.parametrize("wire", [b"", b":1", b"$5\r\n12", b"*2\r\n:1\r\n"])
def test_a_reply_cut_short_is_a_failure(wire):
    with pytest.raises(ScriptFailed, match="closed"):
        read_reply(io.BytesIO(wire))


def test_redis_urls_other_than_redis_rediss_and_unix_are_refused():
    with pytest.raises(ValueError):
        ScriptRunner("memcached://127.0.0.1:11211", "return 1", 0.5)


def test_an_unreachable_store_is_a_failure():
    with pytest.raises(ScriptFailed):
        ScriptRunner("redis://127.0.0.1:1/0", "return 1", 0.5)([], [])

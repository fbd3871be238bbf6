import pytest

from gateway.redis_script import ScriptFailed, ScriptRunner


def test_urls_redis_py_cannot_read_are_refused():
    with pytest.raises(ValueError):
        ScriptRunner("memcached://127.0.0.1:11211", "return 1", 0.5)


def test_an_unreachable_store_is_a_failure():
    with pytest.raises(ScriptFailed, match="ConnectionError"):
        ScriptRunner("redis://127.0.0.1:1/0", "return 1", 0.5)([], [])


def test_a_failed_connection_is_not_kept():
    runner = ScriptRunner("redis://127.0.0.1:1/0", "return 1", 0.5)
    for _ in range(2):
        with pytest.raises(ScriptFailed):
            runner([], [])
    assert runner._idle == []

"""A process killed after committing a change but before publishing its event loses nothing."""
from tests.stack import registration, sql, wait_for


def unsent_events_for(uscc):
    return sql("enterprises", "SELECT count(*) FROM outbox WHERE aggregate_id = %s AND sent_at IS NULL",
               (uscc,))[0][0]


def welcomes(api, me):
    return len(api.get("/api/v1/notifications?kind=welcome", me).json()["items"])


def test_event_committed_before_a_sigkill_is_delivered_once_after_restart(network, api, token, new_uscc):
    enterprises = network.process("enterprises")
    network.kill("enterprises")
    network.start(enterprises, ONENET_OUTBOX_RELAY="off")  # commits, never publishes
    network.wait_ready([enterprises])
    uscc = new_uscc("110105")
    me = token("enterprise", uscc)

    created = api.post("/api/v1/enterprises", token("county_admin", "110105"), json=registration(uscc))
    assert created.status_code == 201
    assert unsent_events_for(uscc) == 1
    assert welcomes(api, me) == 0

    network.kill("enterprises")  # SIGKILL: no chance to publish on the way out
    network.start(enterprises)
    network.wait_ready([enterprises])

    assert wait_for(lambda: welcomes(api, me) >= 1)
    assert wait_for(lambda: unsent_events_for(uscc) == 0)
    # A duplicate would have been published before the event was marked sent, so ahead of a
    # sentinel registered now: once the sentinel's welcome is there, a duplicate would have been handled.
    sentinel = new_uscc("110105")
    assert api.post("/api/v1/enterprises", token("county_admin", "110105"),
                    json=registration(sentinel)).status_code == 201
    assert wait_for(lambda: welcomes(api, token("enterprise", sentinel)) == 1)
    assert welcomes(api, me) == 1

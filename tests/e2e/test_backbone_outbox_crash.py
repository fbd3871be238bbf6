"""A process killed after committing a change but before publishing its event loses nothing."""
import time

from tests.e2e.test_enterprise_registration import registration
from tests.stack import sql, wait_for


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
    time.sleep(1)  # long enough for a duplicate to show, were there one
    assert welcomes(api, me) == 1

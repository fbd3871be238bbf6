"""The stream of work the fault run drives through the network, and the clients' own record
of what they were told succeeded.

Callers behave as the API asks of them: every write carries a fresh ``Idempotency-Key``,
and a write that is not answered (a lost connection, a timeout, a 503) is sent again with
the same key until it is answered. A 500 is never an acceptable answer; it is counted
and retried like a 503 so that the run can say how many there were.

:class:`SteadyStream` keeps such callers starting enterprise journeys at a steady rate
until it is stopped, so that work is in flight through every fault however long the
faults take; the ledger's timeline says which attempts met which fault.
"""
import collections
import itertools
import threading
import time
import uuid

import requests
from stdnum.cn import uscc as uscc_standard

from gateway import auth

RETRIABLE = {429, 500, 502, 503, 504}
_serial = itertools.count(1)


def new_uscc(region_code):
    body = f"91{region_code}FT{next(_serial) % 10 ** 7:07d}"
    return body + uscc_standard.calc_check_digit(body)


class Ledger:
    """What the clients were told, per kind of operation (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.acknowledged = collections.defaultdict(dict)   # kind → key → answer
        self.attempts = collections.Counter()                # kind → requests sent
        self.retries = collections.Counter()                 # kind → sent again
        self.status_seen = collections.defaultdict(collections.Counter)  # kind → status → n
        self.refused = collections.defaultdict(list)         # kind → (status, body) not retriable
        self.timeline = []  # (kind, sent at, answered at, status) of every attempt, time.monotonic()

    def sent(self, kind):
        with self._lock:
            self.attempts[kind] += 1

    def saw(self, kind, status, sent_at=None):
        with self._lock:
            self.status_seen[kind][status] += 1
            if sent_at is not None:
                self.timeline.append((kind, sent_at, time.monotonic(), status))

    def retry(self, kind):
        with self._lock:
            self.retries[kind] += 1

    def ack(self, kind, key, answer):
        with self._lock:
            self.acknowledged[kind][key] = answer

    def refuse(self, kind, status, body):
        with self._lock:
            self.refused[kind].append((status, body[:300]))

    def count(self, kind):
        with self._lock:
            return len(self.acknowledged[kind])


class Gateway:
    """An HTTP client that retries a write with its key until it is answered."""

    def __init__(self, base_url, secret, ledger, give_up_after=240.0):
        self.base_url, self.secret, self.ledger = base_url, secret, ledger
        self.give_up_after = give_up_after
        self._local = threading.local()
        self.stopped = threading.Event()  # set: every write gives up at once (the run is stopping)

    def token(self, role, scope=None):
        return auth.mint(self.secret, role, scope, ttl_seconds=4 * 3600)

    @property
    def session(self):
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def write(self, kind, key, method, path, token, body=None, ok=(200, 201)):
        """Send until answered; the answer's JSON on success (recorded), else None (recorded)."""
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        deadline, pause = time.monotonic() + self.give_up_after, 0.2
        while not self.stopped.is_set():
            self.ledger.sent(kind)
            sent_at = time.monotonic()
            try:
                answer = self.session.request(method, self.base_url + path, json=body, headers=headers, timeout=12)
            except requests.RequestException:
                self._local.session = requests.Session()
                status = "no answer"
            else:
                status = answer.status_code
            self.ledger.saw(kind, status, sent_at)
            if status in ok:
                self.ledger.ack(kind, key, answer.json())
                return answer.json()
            if status != "no answer" and status not in RETRIABLE:
                self.ledger.refuse(kind, status, answer.text)
                return None
            if time.monotonic() > deadline:
                self.ledger.refuse(kind, status, "gave up retrying")
                return None
            self.ledger.retry(kind)
            time.sleep(pause)
            pause = min(pause * 1.5, 2.0)
        return None

    def read(self, path, token):
        for _ in range(200):
            try:
                answer = self.session.get(self.base_url + path, headers={"Authorization": f"Bearer {token}"},
                                          timeout=12)
                if answer.status_code == 200:
                    return answer.json()
            except requests.RequestException:
                self._local.session = requests.Session()
            time.sleep(0.5)
        raise RuntimeError(f"GET {path} never answered 200")


def key():
    return str(uuid.uuid4())


def registration_body(uscc, region_code, tag):
    return {"uscc": uscc, "name": f"故障演练{uscc[-6:]}科技有限公司", "region_code": region_code,
            "industry_code": "C39", "employees": 40, "revenue": 1200, "tags": [tag]}


def enterprise_journey(gateway, uscc, region_code, tag, with_request):
    """Register an SME; some then raise a request that is accepted, resolved and rated."""
    admin = gateway.token("county_admin", region_code)
    if gateway.write("registration", uscc, "POST", "/api/v1/enterprises", admin,
                     registration_body(uscc, region_code, tag)) is None:
        return
    if not with_request:
        return
    me = gateway.token("enterprise", uscc)
    submitted = gateway.write("request", uscc, "POST", "/api/v1/requests", me, {
        "service_area": "policy", "title": "稳岗补贴申请咨询", "region_code": region_code,
        "description": "想了解稳岗补贴的申请条件和材料"})
    if submitted is None:
        return
    request_id, agency_id = submitted["id"], submitted["agency_id"]
    deadline = time.monotonic() + 180
    while agency_id is None and time.monotonic() < deadline:
        # the agencies service did not answer: the request waits for the scheduler to route it
        time.sleep(2)
        agency_id = gateway.read(f"/api/v1/requests/{request_id}", me)["agency_id"]
    if agency_id is None:
        gateway.ledger.refuse("transition", "unrouted", f"request {request_id} was never routed")
        return
    staff = gateway.token("agency_staff", str(agency_id))
    for action in ("accept", "resolve"):
        if gateway.write("transition", f"{request_id}:{action}", "POST", f"/api/v1/requests/{request_id}/transitions",
                         staff, {"action": action}) is None:
            return
    gateway.write("rating", request_id, "POST", f"/api/v1/requests/{request_id}/rating", me,
                  {"score": 5, "solved": True, "comment": "答复及时"})


def publish_policy(gateway, tag):
    """The Beijing province publishes a policy for the enterprises carrying ``tag``; its push
    reaches each of them, registered before or after."""
    admin = gateway.token("province_admin", "110000")
    agency = gateway.read("/api/v1/agencies?level=province&region=11", admin)["items"][0]
    draft = gateway.write("policy", "draft", "POST", "/api/v1/policies", admin, {
        "title": "北京市中小企业数字化转型补助（故障演练）", "issuer": "北京市经济和信息化局",
        "issuer_level": "province", "document_number": "京经信〔2026〕99号", "issued_on": "2026-01-20",
        "expires_on": "2036-12-31", "region_code": "110000", "service_area": "policy",
        "benefits": "数字化改造投入的20%", "criteria": {"tags": [tag]}, "agency_id": agency["id"]})
    if draft is None:
        return None
    gateway.write("policy", "publication", "POST", f"/api/v1/policies/{draft['id']}/publish", admin)
    return draft["id"]


class Pacer:
    """Slots at a steady rate shared by every client that waits for one; a slot no client was
    free to take is not made up later (no burst after a fault)."""

    def __init__(self, per_second, clock=time.monotonic, sleep=time.sleep):
        self.interval, self.clock, self.sleep = 1.0 / per_second, clock, sleep
        self._next = clock()
        self._lock = threading.Lock()

    def wait(self):
        with self._lock:
            slot = max(self.clock(), self._next)
            self._next = slot + self.interval
        self.sleep(max(0.0, slot - self.clock()))


class SteadyStream:
    """``clients`` callers starting :func:`enterprise_journey` at ``per_second`` journeys a second
    (``request_share`` of them raise a request), until :meth:`finish` and ``at_least`` journeys."""

    def __init__(self, gateway, counties, tag, per_second, clients, request_share=0.25, at_least=0):
        self.gateway, self.counties, self.tag = gateway, counties, tag
        self.request_share, self.at_least = request_share, at_least
        self.pacer = Pacer(per_second)
        self.usccs = set()  # every journey started
        self.errors = []
        self._lock, self._started = threading.Lock(), 0
        self._stop = threading.Event()
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def finish(self):
        """Start no more journeys (once ``at_least`` have been); wait for those under way."""
        self._stop.set()
        for thread in self.threads:
            thread.join()

    def _next_journey(self):
        with self._lock:
            if self._stop.is_set() and self._started >= self.at_least:
                return None
            n, self._started = self._started, self._started + 1
            uscc = new_uscc(self.counties[n % len(self.counties)])
            self.usccs.add(uscc)
        # the journeys that raise a request are spread evenly through the stream
        return uscc, int((n + 1) * self.request_share) > int(n * self.request_share)

    def _client(self):
        while not self.gateway.stopped.is_set():
            self.pacer.wait()
            journey = self._next_journey()
            if journey is None:
                return
            uscc, with_request = journey
            try:
                enterprise_journey(self.gateway, uscc, uscc[2:8], self.tag, with_request)
            except Exception as exc:  # reported, and fails the run
                self.errors.append(exc)

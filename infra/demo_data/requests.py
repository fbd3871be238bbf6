"""Demo requests (诉求) in several states: waiting, in progress, closed after a rating, and an
arrears complaint. Loaded through RPC as the enterprises and agencies would act; an enterprise
that already has requests is left as it is, so loading twice changes nothing."""
import time

from chassis.errors import Forbidden, ValidationFailed
from infra.demo_data import national
from infra.demo_data.enterprises import ENTERPRISES


def enterprise(uscc):
    return {"role": "enterprise", "scope": uscc, "subject": f"demo:{uscc}"}


def staff(agency_id):
    return {"role": "agency_staff", "scope": str(agency_id), "subject": f"demo:agency:{agency_id}"}


DEMO = [
    (ENTERPRISES[0], {"service_area": "policy", "title": "研发费用加计扣除政策咨询",
                      "description": "想了解今年研发费用加计扣除的申报口径和所需材料"}, []),
    (ENTERPRISES[1], {"service_area": "finance_talent", "title": "首贷融资对接",
                      "description": "需要300万元流动资金贷款，希望对接银行首贷服务"},
     [("accept", {}), ("start", {})]),
    (ENTERPRISES[2], {"service_area": "training", "title": "数字化转型培训",
                      "description": "希望为中层管理人员安排数字化转型专题培训"},
     [("accept", {}), ("resolve", {}), ("rate", {"score": 5, "solved": True, "comment": "培训很有帮助"}),
      ("close", {})]),
    (ENTERPRISES[3], {"title": "区属单位拖欠货款", "description": "设备交付后逾期未付款",
                      "arrears": {"debtor_uscc": "124403004557551528", "debtor_type": "public_institution",
                                  "amount": 186000, "contract_date": "2026-05-06",
                                  "delivery_date": "2026-06-15"}}, []),
]


def wait_for_the_agencies(services, timeout=300.0):
    """The requests service routes over its own copy of the agencies and their guides, filled from
    their events: wait until it holds every one (behind the skeleton's 3,212 events it may take a while)."""
    snapshot = services.agencies.agency_snapshot()
    agencies, guides = len(snapshot["agencies"]), len(snapshot["guides"])
    deadline = time.monotonic() + timeout
    while True:
        copied = services.requests.agency_copy_status()
        if copied["agencies"] >= agencies and copied["guides"] >= guides:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the requests service has not copied the {agencies} agencies and {guides} "
                               f"guides in {timeout:.0f} s")
        time.sleep(0.5)


def load(services):
    wait_for_the_agencies(services)
    raised = 0
    for company, body, steps in DEMO:
        uscc = company["uscc"]
        if services.requests.counts_for_enterprise(uscc):
            continue
        request = services.requests.submit(uscc, {**body, "region_code": company["region_code"]},
                                           enterprise(uscc))
        for action, extra in steps:
            if action == "rate":
                request = services.requests.rate(request["id"], extra, enterprise(uscc))
            elif action == "close":
                request = services.requests.transition(request["id"], {"action": action}, enterprise(uscc))
            else:
                request = services.requests.transition(request["id"], {"action": action, **extra},
                                                       staff(request["agency_id"]))
        raised += 1
    return raised


# -- the national scale (infra.demo_data.national) ------------------------------------------------

DAY = 86_400
RATINGS = {"rate": {"score": 5, "solved": True, "comment": "办理及时，问题已解决"},
           "rate:unsolved": {"score": 2, "solved": False, "comment": "问题尚未解决，希望继续跟进"}}
ESCALATION_REASON = "涉及跨部门协调，超出本机构办理权限，提请上级机构办理"


def load_national(network, scale, smes):
    """Raise the planned requests (:func:`national.requests`) wave by wave, each wave on the day it
    belongs to: the requests service's clock (``CLOCK_CONTROL``, on in ``make run``) is moved back
    for it, and forward again, so deadlines fall where they would have and the deadline sweep
    escalates what an agency left waiting, as the days passing would have. Without clock control
    every request is raised today and nothing is overdue yet. A wave goes in a few calls at once,
    each a share of its requests (``submit_many``, then their steps in order, ``act_many``).

    Returns the number raised; nothing if the first planned enterprise already has requests
    (loaded before).
    """
    plan = national.requests(scale, smes)
    if not plan or network.call(lambda services: services.requests.counts_for_enterprise(plan[0]["uscc"])):
        return 0
    network.call(wait_for_the_agencies)   # the stations and guides just loaded, as requests route by them
    controlled = _move_clock(network, 0)
    for wave in sorted({item["wave"] for item in plan}, reverse=True):
        if controlled:
            _move_clock(network, -wave * DAY)
        raised = [item for item in plan if item["wave"] == wave]
        shares = [raised[k::network.size] for k in range(network.size) if raised[k::network.size]]
        network.map(f"requests, {wave} days ago" if wave else "requests, today", _raise, shares)
    if controlled:
        _move_clock(network, 0)
    return len(plan)


def _move_clock(network, offset_seconds):
    """Put the requests service's clock ``offset_seconds`` from now and sweep until nothing more is
    overdue there; False when the clock is not under control on this network."""
    try:
        network.call(lambda services: services.requests.set_clock(offset_seconds))
    except Forbidden:
        return False
    while any(network.call(lambda services: services.requests.sweep()).values()):
        pass
    return True


def _answers(outcomes, what):
    """The answers of a batch (``submit_many``, ``act_many``); fails on the first refusal."""
    for outcome in outcomes:
        if "error" in outcome:
            raise RuntimeError(f"the requests service refused {what}: {outcome['error']}")
    return [outcome["answer"] for outcome in outcomes]


def _raise(services, items):
    """Raise ``items`` (planned requests) and take their steps: their states, in order."""
    def submission(item, body):
        return {"uscc": item["uscc"], "submission": body, "actor": enterprise(item["uscc"])}

    outcomes = services.requests.submit_many([submission(item, item["body"]) for item in items])
    # A complainant that was no SME on the contract date raises an ordinary rights request then.
    refused = [k for k, outcome in enumerate(outcomes) if "error" in outcome and "arrears" in items[k]["body"]
               and outcome["error"]["code"] == ValidationFailed.code]
    if refused:
        plain = [submission(items[k], {**{key: value for key, value in items[k]["body"].items() if key != "arrears"},
                                       "service_area": "rights"}) for k in refused]
        for k, outcome in zip(refused, services.requests.submit_many(plain)):
            outcomes[k] = outcome
    requests = _answers(outcomes, "a submission")
    steps = [_step(request, item["uscc"], step) for request, item in zip(requests, items)
             for step in item["steps"] if step != "stalled"]
    after = {str(request["id"]): request for request in requests}
    if steps:
        after.update({str(request["id"]): request for request in _answers(services.requests.act_many(steps), "a step")})
    return [after[str(request["id"])]["state"] for request in requests]


def _step(request, uscc, step):
    """One planned step on ``request`` as ``act_many`` takes it, by the enterprise or the agency holding it."""
    if step in RATINGS:
        return {"request_id": request["id"], "rating": RATINGS[step], "actor": enterprise(uscc)}
    if step in ("close", "reopen", "withdraw"):
        return {"request_id": request["id"], "transition": {"action": step}, "actor": enterprise(uscc)}
    if step == "escalate":
        return {"request_id": request["id"], "transition": {"action": step, "reason": ESCALATION_REASON},
                "actor": staff(request["agency_id"])}
    return {"request_id": request["id"], "transition": {"action": step}, "actor": staff(request["agency_id"])}

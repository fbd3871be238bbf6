"""Demo requests (诉求) in several states: waiting, in progress, closed after a rating, and an
arrears complaint. Loaded through RPC as the enterprises and agencies would act; an enterprise
that already has requests is left as it is, so loading twice changes nothing."""
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


def load(services):
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

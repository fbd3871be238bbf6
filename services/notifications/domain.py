"""What a notice says, free of I/O."""


def welcome_notice(enterprise):
    """The notice that greets a newly registered SME (``enterprise.registered``)."""
    return {
        "recipient_uscc": enterprise["uscc"],
        "kind": "welcome",
        "title": "欢迎加入全国中小企业服务一张网",
        "body": (f"{enterprise['name']}：您的企业档案已建立。"
                 "与您匹配的惠企政策、服务和诉求办理进展将在此通知您。"),
    }

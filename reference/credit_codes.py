"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

A code has 18 characters: the registration authority (登记管理部门代码, 1st),
the kind of body it registered (机构类别代码, 2nd), the region (GB/T 2260,
3rd–8th), the organisation code (9th–17th) and a check character (18th).

People write codes with blanks or dashes (``9111 0000600037341L``,
``91110000-600037341L``) and in lower case; python-stdnum accepts those forms
after compacting them. OneNet keeps and compares one form only, compact and
upper case, so every schema edge (bodies, imports, tokens, paths) reads a code
through :func:`compact` or :class:`CreditCode` before anything else sees it.
Otherwise one enterprise could be stored twice, or a code with blanks could
reach a database CHECK.
"""
import re

from marshmallow import ValidationError, fields
from stdnum.cn import uscc as standard
from stdnum.exceptions import ValidationError as StdnumError

# GB 32100-2015 附录A: the registration authority and kind of body (first two characters)
# OneNet tells apart.
GOVERNMENT_BODY = "11"        # 机构编制 · 机关
PUBLIC_INSTITUTION = "12"     # 机构编制 · 事业单位
ENTERPRISE = "91"             # 工商(市场监管) · 企业
INDIVIDUAL_BUSINESS = "92"    # 工商(市场监管) · 个体工商户
COOPERATIVE = "93"            # 工商(市场监管) · 农民专业合作社
KIND_NAMES = {GOVERNMENT_BODY: "机关", PUBLIC_INSTITUTION: "事业单位", ENTERPRISE: "企业",
              INDIVIDUAL_BUSINESS: "个体工商户", COOPERATIVE: "农民专业合作社"}


# A code already in its compact form, which compacting again leaves as it is: most codes a bulk
# path reads (provincial events, imports) come so, and stdnum's cleaning is most of a check's time.
COMPACT_FORM = re.compile(r"[0-9A-Z]{18}")


def compact(value):
    """The code without blanks or dashes, in upper case (not checked)."""
    if isinstance(value, str) and COMPACT_FORM.fullmatch(value):
        return value
    try:
        return standard.compact(str(value if value is not None else ""))
    except StdnumError:
        return str(value).strip().upper()


def validate(value):
    """The compact form of a valid code; ValueError naming the problem otherwise."""
    code = compact(value)
    if COMPACT_FORM.fullmatch(code) and code[:8].isdigit():
        # A valid compact code, told by stdnum's check character without compacting it twice
        # more; anything else goes to stdnum's validate, which names the problem.
        try:
            if code[-1] == standard.calc_check_digit(code):
                return code
        except ValueError:  # a character outside the codes' alphabet
            pass
    try:
        return standard.validate(code)
    except StdnumError as exc:
        raise ValueError(f"not a valid unified social credit code: {exc}") from None


def kind_of(code):
    """The registration authority and kind of body: the first two characters, e.g. ``"91"``."""
    return compact(code)[:2]


def kind_name(kind):
    """The GB 32100 name of a kind OneNet tells apart, else the two characters themselves."""
    return KIND_NAMES.get(kind, f"kind {kind}")


class CreditCode(fields.String):
    """A unified social credit code, loaded as its compact upper-case form and checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validate(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

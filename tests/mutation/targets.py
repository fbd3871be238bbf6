"""What mutation testing covers: each target module, the unit tests that pin it,
and the surviving mutants that are equivalent to the original code.

A module passes when at least :data:`MIN_SCORE` percent of its mutants are
killed and every mutant that survives is listed in :data:`EQUIVALENT` with the
reason no test can tell it from the original. Any other survivor is a gap in
the tests: write the test that kills it.
"""
from dataclasses import dataclass

MIN_SCORE = 90.0


@dataclass(frozen=True)
class Target:
    """A module under mutation and the unit tests run against each of its mutants."""

    path: str
    tests: tuple


TARGETS = {
    "size_rules": Target("reference/size_rules.py", ("tests/unit/test_size_class_rules.py",)),
    "criteria": Target("services/enterprises/criteria.py", ("tests/unit/test_enterprise_criteria.py",)),
    "lifecycle": Target("services/requests/lifecycle.py", ("tests/unit/test_request_lifecycle.py",)),
    "changes": Target("services/requests/changes.py", ("tests/unit/test_request_records.py",)),
    "deadlines": Target("services/requests/deadlines.py",
                        ("tests/unit/test_deadlines.py", "tests/unit/test_request_records.py")),
    "workdays": Target("reference/workdays.py", ("tests/unit/test_deadlines.py", "tests/unit/test_request_records.py")),
    "arrears": Target("services/requests/arrears.py", ("tests/unit/test_arrears.py",)),
    "routing": Target("services/agencies/contract/routing.py", ("tests/unit/test_routing.py",)),
    "providers": Target("services/agencies/providers.py", ("tests/unit/test_providers.py",)),
    "auth": Target("gateway/auth.py", ("tests/unit/test_gateway_auth.py", "tests/unit/test_lead_firm_token.py")),
}


@dataclass(frozen=True)
class Equivalent:
    """A mutant no test can kill: the operator, the line it changes and what it
    makes of it (both stripped of indentation), and why it changes nothing."""

    target: str
    operator: str
    original: str
    mutated: str
    why: str


CMP = "core/ReplaceComparisonOperator_"


def cache_only(target, size):
    """The mutants of an ``@lru_cache(maxsize=size)`` line: the cache saves work, never changes an answer
    (what it returns is frozen and equal to what a fresh call would compute)."""
    line = f"@lru_cache(maxsize={size})"
    why = "the cache only saves work: with it bigger, smaller or gone every call gives the same answer"
    return (Equivalent(target, "core/NumberReplacer", line, f"@lru_cache(maxsize= {size + 1})", why),
            Equivalent(target, "core/NumberReplacer", line, f"@lru_cache(maxsize= {size - 1})", why),
            Equivalent(target, "core/RemoveDecorator", line, "", why))

# Why each kind of equivalent mutant cannot be told from the original.
ORDER_IS_INTERNED = ("``name`` runs over ORDER, the contract's CRITERIA_ORDER tuple of literals; CPython "
                     "interns identifier-like string constants, so ``is`` and ``==`` agree on every name")
REST_OF_ORDER = ("only the criteria later in ORDER reach this branch, and each of them sorts above "
                 "this one, so the comparison is true for this name alone, as ``==`` is")
PARTY_IS_CONSTANT = "``party`` is always one of this module's own constants, so ``is`` and ``==`` agree"
SCOPE_CLAIM_IS_CONSTANT = "``scope_claim`` is a value of SCOPE_CLAIM, the module's own interned literals"
ACCEPT_SORTS_FIRST = ('"accept" sorts before every other action name, so ``<= "accept"`` holds '
                      'for "accept" alone, as ``==`` does')

EQUIVALENT = (
    # size_rules: the cache only saves work; every call returns the same answer without it.
    *cache_only("size_rules", 4096),
    Equivalent("size_rules", CMP + "Eq_GtE",
               'return {"rule": rule.key, "row": rule.row, "name": rule.name, "by_analogy": basis == BY_ANALOGY,',
               'return {"rule": rule.key, "row": rule.row, "name": rule.name, "by_analogy": basis >= BY_ANALOGY,',
               'a stored label is "<row>" or "<row>:by_analogy": the basis is "" or "by_analogy", and '
               '"" >= "by_analogy" is false as "" == "by_analogy" is'),
    Equivalent("size_rules", CMP + "Eq_GtE", "if basis == UNCLASSIFIED:", "if basis >= UNCLASSIFIED:",
               'a stored label\'s basis is "", "by_analogy" or "not_classified", and only the last is '
               '>= "not_classified"'),
    *(Equivalent("size_rules", CMP + operator,
                 "_, name, reason = next(entry for entry in NOT_CLASSIFIED.values() if entry[0] == key)",
                 f"_, name, reason = next(entry for entry in NOT_CLASSIFIED.values() if entry[0] {symbol} key)",
                 "NOT_CLASSIFIED has one entry (J, financial), and a label reaches this line only with its key: "
                 "any test that holds for it picks the same entry")
      for operator, symbol in (("Eq_LtE", "<="), ("Eq_GtE", ">="), ("Eq_IsNot", "is not"))),
    # criteria: the branch chain over ORDER.
    *(Equivalent("criteria", CMP + "Eq_Is", f'{keyword} name == "{name}":', f'{keyword} name is "{name}":',
                 ORDER_IS_INTERNED)
      for keyword, name in (("if", "region_prefixes"), ("elif", "industry_codes"), ("elif", "size_classes"),
                            ("elif", "tiers"), ("elif", "rd_ratio_min"), ("elif", "registered_years_min"),
                            ("elif", "tags"))),
    *(Equivalent("criteria", CMP + operator, f'elif name == "{name}":', f'elif name {symbol} "{name}":',
                 REST_OF_ORDER)
      for operator, symbol, name in (("Eq_GtE", ">=", "tiers"), ("Eq_LtE", "<=", "rd_ratio_min"),
                                     ("Eq_LtE", "<=", "registered_years_min"), ("Eq_LtE", "<=", "tags"),
                                     ("Eq_GtE", ">=", "tags"))),
    # lifecycle
    Equivalent("lifecycle", CMP + "Eq_Is", "if party == ENTERPRISE:", "if party is ENTERPRISE:", PARTY_IS_CONSTANT),
    Equivalent("lifecycle", CMP + "Eq_Is", "if party == AGENCY:", "if party is AGENCY:", PARTY_IS_CONSTANT),
    Equivalent("lifecycle", "core/ReplaceComparisonOperator_Is_Eq",
               'and request.get("last_rating_solved") is False)', 'and request.get("last_rating_solved") == False)',
               "the column holds True, False or NULL (None); only False equals False among them"),
    Equivalent("lifecycle", CMP + "Eq_Is",
               'if action == "reopen" and request is not None and not may_reopen(request):',
               'if action is "reopen" and request is not None and not may_reopen(request):',
               "``action`` runs over the module's own TRANSITIONS table of literals, which CPython interns"),
    *(Equivalent("lifecycle", CMP + operator, 'if action == "reopen" and target is not None:',
                 f'if action {symbol} "reopen" and target is not None:',
                 'a refused step has a target only when it is a "reopen" that may not be taken, so here '
                 f'``action {symbol} "reopen"`` is true exactly when ``action == "reopen"`` is')
      for operator, symbol in (("Eq_LtE", "<="), ("Eq_GtE", ">="))),
    Equivalent("lifecycle", "core/NumberReplacer", 'return (request.get("reopen_count", 0) < MAX_REOPENS',
               'return (request.get("reopen_count", -1) < MAX_REOPENS',
               "a request without a count has never been reopened: -1 < 1 as 0 < 1"),
    # changes
    Equivalent("changes", CMP + "Eq_LtE",
               'if step.action == "accept" and deadlines.is_overdue(request.get("accept_by"), today):',
               'if step.action <= "accept" and deadlines.is_overdue(request.get("accept_by"), today):',
               ACCEPT_SORTS_FIRST),
    Equivalent("changes", CMP + "Eq_LtE", 'if step.action == "accept":', 'if step.action <= "accept":',
               ACCEPT_SORTS_FIRST),
    Equivalent("changes", CMP + "Eq_LtE", 'what = "acceptance" if breach.kind == "accept" else "resolution"',
               'what = "acceptance" if breach.kind <= "accept" else "resolution"',
               'a breach is of kind "accept" or "resolve", and "resolve" sorts after "accept"'),
    # workdays (the working-day calendar requests and activities count on)
    *(Equivalent("workdays", f"core/ReplaceBinaryOperator_Add_{operator}",
                 "LIBRARY_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)",
                 "LIBRARY_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year "
                 f"{symbol} 1)",
                 f"the pinned chinese-calendar ends in 2026, an even year, and 2026 {symbol} 1 is 2027 as 2026 + 1 is")
      for operator, symbol in (("BitOr", "|"), ("BitXor", "^"))),
    Equivalent("workdays", CMP + "Lt_NotEq", "while counted < days:", "while counted != days:",
               "``counted`` rises by 0 or 1 from 0, so it reaches ``days`` before it could pass it"),
    Equivalent("workdays", CMP + "Lt_IsNot", "while counted < days:", "while counted is not days:",
               "``counted`` rises by 0 or 1 to ``days``, a small int (a time limit of days) that CPython "
               "keeps one object of, so ``is not`` stops where ``<`` does"),
    *(Equivalent("workdays", operator, "if day.year > LIBRARY_YEARS[-1]:", f"if day.year {mutated}:",
                 "this line runs only for a year the library has no data for, before 2004 or after 2026; "
                 "every threshold from 2004 to 2026 splits those years the same way")
      for operator, mutated in (("core/ReplaceUnaryOperator_USub_UAdd", "> LIBRARY_YEARS[+1]"),
                                ("core/ReplaceUnaryOperator_USub_Invert", "> LIBRARY_YEARS[~1]"),
                                ("core/ReplaceUnaryOperator_USub_Not", "> LIBRARY_YEARS[not 1]"),
                                ("core/ReplaceUnaryOperator_Delete_USub", "> LIBRARY_YEARS[1]"),
                                ("core/NumberReplacer", "> LIBRARY_YEARS[- 2]"),
                                ("core/NumberReplacer", "> LIBRARY_YEARS[- 0]"),
                                (CMP + "Gt_GtE", ">= LIBRARY_YEARS[-1]"))),
    *cache_only("workdays", 256),
    *cache_only("workdays", 8192),
    # auth
    Equivalent("auth", "core/NumberReplacer", "REGION_PREFIX_DIGITS = {PROVINCE_ADMIN: 2, CITY_ADMIN: 4, COUNTY_ADMIN: 6}",
               "REGION_PREFIX_DIGITS = {PROVINCE_ADMIN: 2, CITY_ADMIN: 4, COUNTY_ADMIN: 7}",
               "a county admin's scope is exactly 6 digits (checked when the token is read): its first 7 are all 6"),
    Equivalent("auth", CMP + "Eq_GtE", "if self.role == PROVINCE_SYSTEM:", "if self.role >= PROVINCE_SYSTEM:",
               "the roles that reach this line (national_admin, agency_staff, enterprise, province_system) all "
               'sort before "province_system" but itself'),
    Equivalent("auth", CMP + "Eq_GtE",
               "return self.role == ENTERPRISE and self.scope == credit_codes.compact(uscc)",
               "return self.role >= ENTERPRISE and self.scope == credit_codes.compact(uscc)",
               "the other roles sorting after enterprise have a region (6 digits), a province (2 digits) or no "
               "scope, which never equals an 18-character USCC"),
    *(Equivalent("auth", CMP + operator, original, original.replace('scope_claim == "', f'scope_claim {symbol} "', 1),
                 why)
      for original in ('if scope_claim == "uscc":',
                       'claims[scope_claim] = credit_codes.compact(scope) if scope_claim == "uscc" else scope')
      for operator, symbol, why in (
          ("Eq_GtE", ">=", 'no scope claim sorts after "uscc" (agency_id, province, region)'),
          ("Eq_Is", "is", SCOPE_CLAIM_IS_CONSTANT))),
    Equivalent("auth", CMP + "Eq_Is", 'if scope_claim == "region" and region_scope_problem(role, scope):',
               'if scope_claim is "region" and region_scope_problem(role, scope):', SCOPE_CLAIM_IS_CONSTANT),
    Equivalent("auth", CMP + "Eq_Is", 'if scope_claim == "province" and scope == "00":',
               'if scope_claim is "province" and scope == "00":', SCOPE_CLAIM_IS_CONSTANT),
    Equivalent("auth", CMP + "Eq_GtE", 'if scope_claim == "province" and scope == "00":',
               'if scope_claim >= "province" and scope == "00":',
               'the claims sorting after "province" are a region (6 digits) and a USCC (18), never "00"'),
    Equivalent("auth", CMP + "Eq_LtE", 'if scope_claim == "province" and scope == "00":',
               'if scope_claim == "province" and scope <= "00":',
               'a province claim is two digits by now, and no two digits sort before "00"'),
    Equivalent("auth", CMP + "Eq_LtE",
               'if rest.strip("0") or any(significant[i:i + 2] == "00" for i in range(0, digits, 2)):',
               'if rest.strip("0") or any(significant[i:i + 2] <= "00" for i in range(0, digits, 2)):',
               'the region is six digits by now, and no two digits sort before "00"'),
    *(Equivalent("auth", CMP + operator, original, mutated,
                  'the algorithm is "HS256" or "RS256" by now (the constructor refuses any other), and '
                  '"HS256" sorts before "RS256"')
      for operator, original, mutated in (
          ("Eq_LtE", 'if self.algorithm == "HS256":', 'if self.algorithm <= "HS256":'),
          ("Eq_GtE", 'if algorithm == "RS256" and not isinstance(key, dict):',
           'if algorithm >= "RS256" and not isinstance(key, dict):'))),
    *(Equivalent("auth", "core/NumberReplacer", "REMEMBERED_TOKENS = 4096", f"REMEMBERED_TOKENS = {size}",
                 "the tokens remembered only save checking a signature again: with room for one more or one "
                 "fewer every request gets the same answer")
      for size in (4095, 4097)),
    Equivalent("auth", "core/ReplaceUnaryOperator_USub_Not",
               'starts = max((int(claims[name]) for name in ("iat", "nbf") if name in claims), default=-math.inf)',
               'starts = max((int(claims[name]) for name in ("iat", "nbf") if name in claims), default=not math.inf)',
               "a token without iat or nbf is valid from the start of time; ``not math.inf`` is 0, the epoch, "
               "and no gateway's clock reads a time before it"),
    # arrears
    Equivalent("arrears", CMP + "NotEq_Gt", "if due.due != nominal:", "if due.due > nominal:",
               "first_working_day never answers a day before the one it is given"),
    Equivalent("arrears", CMP + "NotEq_IsNot", "if due.due != nominal:", "if due.due is not nominal:",
               "first_working_day answers the very date object it is given when that day is a working day, "
               "and a new, later one otherwise"),
    *(Equivalent("arrears", operator,
                 'f"force on {RULES[-1].in_force_from.isoformat()}, and agrees no payment term: no statutory "',
                 f'f"force on {{RULES[{index}].in_force_from.isoformat()}}, and agrees no payment term: no statutory "',
                 "RULES has two versions, so RULES[1] is RULES[-1], the first one")
      for operator, index in (("core/ReplaceUnaryOperator_USub_UAdd", "+1"),
                              ("core/ReplaceUnaryOperator_Delete_USub", "1"))),
    # routing (the agencies' contract)
    Equivalent("routing", "core/ReplaceUnaryOperator_USub_Invert",
               'for agency in sorted(candidates, key=lambda agency: (-agency["depth"], agency["id"])):',
               'for agency in sorted(candidates, key=lambda agency: (~agency["depth"], agency["id"])):',
               "~depth is -depth - 1: the same order of candidates"),
    Equivalent("routing", CMP + "Eq_Is", "if level == regions.COUNTY:", "if level is regions.COUNTY:",
               "regions.level_of answers one of the module's own constants (PROVINCE, CITY, COUNTY), the very "
               "object compared with, so ``is`` and ``==`` agree"),
    # providers
    Equivalent("providers", "core/ReplaceBinaryOperator_Sub_Mod",
               "return end.year - start.year - ((end.month, end.day) < (start.month, start.day))",
               "return end.year % start.year - ((end.month, end.day) < (start.month, start.day))",
               "end.year % start.year equals end.year - start.year whenever end.year < 2 * start.year, "
               "i.e. for every provider established after the year 1013"),
    Equivalent("providers", CMP + "Eq_LtE",
               'return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"',
               'return f"{year - 1}-Q4" if quarter <= 1 else f"{year}-Q{quarter - 1}"',
               "a period's quarter is 1 to 4 (the schema's pattern), so ``<= 1`` is ``== 1``"),
    Equivalent("providers", CMP + "Eq_GtE",
               "end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)",
               "end = date(year + 1, 1, 1) if quarter >= 4 else date(year, 3 * quarter + 1, 1)",
               "a period's quarter is 1 to 4 (the schema's pattern), so ``>= 4`` is ``== 4``"),
)

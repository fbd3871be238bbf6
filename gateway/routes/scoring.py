"""Routes over the provinces' and the nation's scoring (考核评价) and honours (选树优秀).

A province's admin sets its scoring model (weights and targets of catalogue
indicators) and runs it over its counties; the national admin does the same for
the national model of provinces. A run is read by the admins of its scope's
province (its city and county admins too), a national run also by every
province's admin. Admins nominate, from a run they read, agencies of their own
region or their staff; the admin of the run's scope reviews. Approved honours
are public on the agency's page. Outside its scope a model, run or nomination
answers like one that does not exist.
"""
import csv
import io

from werkzeug.wrappers import Response

from gateway import access, auth, pages
from gateway.api import Forbidden, hidden, require_region, route
from gateway.rpc import ServiceProxy
from services.agencies import schemas
from services.agencies.schemas import NATIONWIDE

READERS = """
    national_admin  ok  ok      -
    region_admins   ok  hidden  -"""
# Setting a model or running one: the province's admin for its own, the national admin for any
# (a model named in the body, not the path: another province's is refused).
KEEPERS = """
    national_admin  ok  ok       -
    province_admin  ok  refused  -"""
SCOPE_ADMINS = """
    national_admin  ok  ok      -
    province_admin  ok  hidden  -"""


ScoringRunPage = pages.page_schema(schemas.ScoringRunSummary, "ScoringRunPage")
NominationPage = pages.page_schema(schemas.Nomination, "NominationPage")


class ScoringRunListQuery(pages.PageQuery, schemas.ScoringRunQuery):
    """Page and filters of a scope's runs."""


def reads_scope(principal, scope):
    """Whether the caller reads models, runs and nominations of ``scope``."""
    if principal.role == auth.NATIONAL_ADMIN:
        return True
    if scope == NATIONWIDE:
        return principal.role == auth.PROVINCE_ADMIN
    return principal.role in auth.REGION_PREFIX_DIGITS and principal.scope[:2] == scope[:2]


def keeps_scope(principal, scope):
    """Whether the caller sets the scope's model, runs it and reviews its nominations."""
    return principal.role == auth.NATIONAL_ADMIN or (
        principal.role == auth.PROVINCE_ADMIN and principal.scope == scope)


def csv_of(run):
    """A run's results as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese names):
    rank, region, score, then each indicator's value and attainment."""
    indicators = [item["indicator"] for item in (run["results"][0]["indicators"] if run["results"] else [])]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["rank", "region_code", "region_name", "score"]
                    + [f"{name}_{part}" for name in indicators for part in ("value", "attainment")])
    for each in run["results"]:
        by_name = {item["indicator"]: item for item in each["indicators"]}
        writer.writerow([_cell(each["rank"]), each["region_code"], each["region_name"] or "", _cell(each["score"])]
                        + [_cell(by_name[name][part]) for name in indicators for part in ("value", "attainment")])
    return "\ufeff" + out.getvalue()


def _cell(value):
    return "" if value is None else value


class ScoringRoutes:
    agencies = ServiceProxy("agencies")

    @route("GET", "/api/v1/scoring/indicators", access=access.callers(*auth.REGION_ADMINS),
           response=schemas.IndicatorCatalogue, tags=["scoring"],
           summary="The fixed catalogue of indicators a scoring model chooses from",
           order="the catalogue's fixed order")
    def scoring_indicators(self, call):
        return self.agencies.scoring_indicators()

    @route("POST", "/api/v1/scoring/models", body=schemas.ScoringModelFields, access=KEEPERS,
           response=schemas.ScoringModel, status=201, tags=["scoring"],
           summary="Set a scoring model: a province's of its counties, or the national one of provinces "
                   "(weights summing to 100 %, targets); each change is a new version")
    def define_scoring_model(self, call):
        scope = call.body["scope"]
        if not keeps_scope(call.principal, scope):
            raise Forbidden(f"the scoring model of {scope} is set by its own admin", {"scope": scope})
        return self.agencies.define_scoring_model(call.body, call.principal.subject)

    @route("GET", "/api/v1/scoring/models", access=access.callers(*auth.REGION_ADMINS),
           query=schemas.ScoringModelQuery, response=schemas.ScoringModels, tags=["scoring"],
           summary="Every version of a scope's scoring model for a year, newest first",
           order="newest version first")
    def scoring_models(self, call):
        self._require_reader(call.principal, call.query["scope"])
        return self.agencies.scoring_models(call.query["scope"], call.query["year"])

    @route("GET", "/api/v1/scoring/models/<int:model_id>", access=READERS, response=schemas.ScoringModel,
           tags=["scoring"], summary="One version of a scoring model")
    def get_scoring_model(self, call, model_id):
        model = self.agencies.get_scoring_model(model_id)
        if not reads_scope(call.principal, model["scope"]):
            raise hidden("scoring model", model_id)
        return model

    @route("POST", "/api/v1/scoring/runs", body=schemas.ScoringRunRequest, access=KEEPERS,
           response=schemas.ScoringRun, status=201, tags=["scoring"],
           summary="Run a model version over the facts as they stood at a cut-off (default now); the run "
                   "is stored and never changed",
           emits=("scoring.run_completed",))
    def run_scoring(self, call):
        model_id = call.body["model_id"]
        model = self.agencies.get_scoring_model(model_id)
        if not keeps_scope(call.principal, model["scope"]):
            raise Forbidden(f"scoring model {model_id} is run by the admin of {model['scope']}",
                            {"model_id": model_id})
        return self.agencies.run_scoring(model_id, call.body.get("facts_cutoff"), call.principal.subject)

    @route("GET", "/api/v1/scoring/runs", access=access.callers(*auth.REGION_ADMINS),
           query=ScoringRunListQuery, response=ScoringRunPage, tags=["scoring"],
           summary="A scope's scoring runs (of a year), newest first",
           order="newest first")
    def scoring_runs(self, call):
        self._require_reader(call.principal, call.query["scope"])
        return pages.listed(call.query, self.agencies.scoring_runs)

    @route("GET", "/api/v1/scoring/runs/<int:run_id>", access=READERS, response=schemas.ScoringRun,
           tags=["scoring"], summary="A scoring run: its model version, facts' cut-off, scores and ranks")
    def get_scoring_run(self, call, run_id):
        return self._run(call.principal, run_id)

    @route("GET", "/api/v1/scoring/runs/<int:run_id>/recomputation", access=READERS,
           response=schemas.ScoringRecomputation, tags=["scoring"],
           summary="The run computed again from its cut-off and model version, and whether it is identical")
    def recompute_scoring_run(self, call, run_id):
        self._run(call.principal, run_id)
        return self.agencies.recompute_scoring_run(run_id)

    @route("GET", "/api/v1/scoring/runs/<int:run_id>/export", access=READERS, media_type="text/csv",
           tags=["scoring"], summary="A scoring run's results as CSV")
    def export_scoring_run(self, call, run_id):
        run = self._run(call.principal, run_id)
        return Response(csv_of(run), status=200, content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="scoring-run-{run_id}.csv"'})

    @route("POST", "/api/v1/scoring/runs/<int:run_id>/nominations", access=READERS,
           body=schemas.NominationFields, response=schemas.Nomination, status=201, tags=["scoring"],
           summary="选树优秀: nominate an agency of one's own region in the run's scope, or a member of its staff")
    def nominate(self, call, run_id):
        self._run(call.principal, run_id)
        agency = self.agencies.get(call.body["agency_id"])
        require_region(call.principal, agency["region_code"], "a nominee")
        return self.agencies.nominate(run_id, call.body, call.principal.subject)

    @route("GET", "/api/v1/scoring/runs/<int:run_id>/nominations", access=READERS, query=pages.PageQuery,
           response=NominationPage, tags=["scoring"], summary="The nominations made from a run, in order",
           order="in the order they were made")
    def run_nominations(self, call, run_id):
        self._run(call.principal, run_id)
        limit, offset = pages.window(call.query)
        found = self.agencies.nominations(run_id, limit, offset)
        return pages.page_of(found["items"], found["total"], call.query)

    @route("POST", "/api/v1/nominations/<int:nomination_id>/review", access=SCOPE_ADMINS,
           body=schemas.NominationReview, response=schemas.Nomination, tags=["scoring"],
           summary="Approve or reject a nomination with the reason (the admin of the run's scope); "
                   "approved honours show on the agency's page",
           emits=("honour.awarded",))
    def review_nomination(self, call, nomination_id):
        nomination = self.agencies.get_nomination(nomination_id)
        if not reads_scope(call.principal, nomination["scope"]):
            raise hidden("nomination", nomination_id)
        if not keeps_scope(call.principal, nomination["scope"]):
            raise Forbidden(f"nominations of {nomination['scope']} are reviewed by its own admin",
                            {"nomination_id": nomination_id})
        return self.agencies.review_nomination(nomination_id, call.body, call.principal.subject)

    @route("GET", "/api/v1/agencies/<int:agency_id>/honours", access="""
               everyone  ok  ok  -""",
           response=schemas.Honours, tags=["scoring"], summary="The agency's approved honours (选树优秀)",
           order="most recently decided first")
    def agency_honours(self, call, agency_id):
        return self.agencies.honours(agency_id)

    def _run(self, principal, run_id):
        run = self.agencies.get_scoring_run(run_id)
        if not reads_scope(principal, run["scope"]):
            raise hidden("scoring run", run_id)
        return run

    @staticmethod
    def _require_reader(principal, scope):
        if not reads_scope(principal, scope):
            raise Forbidden(f"the scoring of {scope} is outside your scope", {"scope": scope})

// The five journeys a front-end team walks first, written as a portal would write them:
// (a) registration, (b) a request's whole life, (c) policy publication and reach,
// (d) public routing and guides, (e) search. Types come from docs/openapi.json through
// openapi-typescript (npm run generate); `tsc --strict` must accept this file as it is,
// without `any` and without casts: what it reads, the contract promises.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema";

export type OneNet = Client<paths>;
export type Enterprise = components["schemas"]["Enterprise"];
export type ServiceRequest = components["schemas"]["ServiceRequest"];
export type ApiErrorBody = components["schemas"]["Error"];

/** A client for one caller: anonymous, or with the bearer token a portal keeps. */
export function onenet(baseUrl: string, token?: string): OneNet {
  return createClient<paths>({
    baseUrl,
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
}

/** A non-2xx answer, in the API's one error shape. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly body: ApiErrorBody | undefined) {
    super(body === undefined ? `HTTP ${status}` : `${body.error.code}: ${body.error.message}`);
  }
}

/** The body of a successful answer, else an ApiError naming the code and details. */
function ok<T>(answer: { data?: T; error?: ApiErrorBody; response: Response }): T {
  if (answer.data === undefined) {
    throw new ApiError(answer.response.status, answer.error);
  }
  return answer.data;
}

/** (a) A county admin registers an SME; the SME reads its profile and its welcome notice. */
export async function registration(admin: OneNet, asEnterprise: (uscc: string) => OneNet,
                                   uscc: string): Promise<string> {
  const created = ok(await admin.POST("/api/v1/enterprises", {
    body: { uscc, name: "北京示例科技有限公司", region_code: "110105", industry_code: "C39",
            employees: 40, revenue: 1200 },
  }));
  const me = asEnterprise(created.uscc);
  const profile = ok(await me.GET("/api/v1/enterprises/{uscc}", { params: { path: { uscc: created.uscc } } }));
  const sizeClass: string = profile.size_class ?? "not classified";
  const inbox = ok(await me.GET("/api/v1/notifications", { params: { query: { page_size: 20 } } }));
  const welcome = inbox.items.find((notice) => notice.kind === "welcome");
  const lastYear = profile.figures.at(-1);
  return `${profile.name} (${profile.province_code}/${profile.region_code}, ${sizeClass}, ` +
         `${lastYear === undefined ? "no figures" : `${lastYear.employees} staff in ${lastYear.year}`}): ` +
         `${welcome === undefined ? "no welcome yet" : welcome.title}`;
}

/** (b) An SME raises a request; the agency it was routed to accepts, works and resolves it;
 * the SME rates it (the request is then `revisited`) and closes it. */
export async function requestLife(me: OneNet, asStaffOf: (agencyId: number) => OneNet): Promise<ServiceRequest> {
  const submitted = ok(await me.POST("/api/v1/requests", {
    body: { title: "申请融资担保", description: "需要一笔三百万元的流动资金贷款担保", region_code: "110105",
            service_area: "finance_talent" },
  }));
  if (submitted.agency_id === null) {
    throw new Error(`request ${submitted.id} was not routed to an agency`);
  }
  const staff = asStaffOf(submitted.agency_id);
  const deadline: string = submitted.accept_by ?? "no deadline";
  const path = { params: { path: { request_id: submitted.id } } };
  let current: ServiceRequest = submitted;
  for (const action of ["accept", "start", "resolve"] as const) {
    current = ok(await staff.POST("/api/v1/requests/{request_id}/transitions", { ...path, body: { action } }));
  }
  const rated = ok(await me.POST("/api/v1/requests/{request_id}/rating", {
    ...path, body: { score: 5, solved: true, comment: `resolved before ${deadline}` },
  }));
  const state: ServiceRequest["state"] = rated.state;
  if (state !== "revisited") {
    throw new Error(`a rated request is ${state}, not revisited`);
  }
  const closed = ok(await me.POST("/api/v1/requests/{request_id}/transitions", { ...path, body: { action: "close" } }));
  const history = closed.history.map((entry) => entry.action).join(" → ");
  return { ...closed, title: `${closed.title} (${history}; ${closed.ratings.length} rating, ${current.state})` };
}

/** (c) An admin drafts a policy for SMEs of a county, publishes it and reads how far it reached. */
export async function policyReach(admin: OneNet, agencyId: number): Promise<number> {
  const draft = ok(await admin.POST("/api/v1/policies", {
    body: { title: "朝阳区专精特新中小企业融资支持", issuer: "北京市朝阳区人民政府", issuer_level: "county",
            issued_on: "2026-01-05", region_code: "110105", service_area: "finance_talent",
            benefits: "贷款贴息百分之五十", agency_id: agencyId,
            criteria: { region_prefixes: ["110105"], size_classes: ["small", "micro"] } },
  }));
  const policyPath = { params: { path: { policy_id: draft.id } } };
  const published = ok(await admin.POST("/api/v1/policies/{policy_id}/publish", policyPath));
  if (published.state !== "published" || published.published_at === null) {
    throw new Error(`policy ${published.id} is ${published.state}`);
  }
  const reach = ok(await admin.GET("/api/v1/policies/{policy_id}/reach", policyPath));
  const readShare = reach.notified === 0 ? 0 : reach.read / reach.notified;
  return reach.count - reach.notified + readShare;
}

/** (d) Anyone asks which agency answers for a county and a service area, and reads its guide. */
export async function publicRouting(anyone: OneNet): Promise<string[]> {
  const decision = ok(await anyone.GET("/api/v1/routing", {
    params: { query: { region: "110105", service_area: "finance_talent" } },
  }));
  const why = decision.explanation.map((step) => `${step.level} ${step.name}: ${step.reason}`);
  const guide = ok(await anyone.GET("/api/v1/agencies/{agency_id}/guide", {
    params: { path: { agency_id: decision.agency.id } },
  }));
  const items = guide.items.map((item) => `${item.title}: accept in ${item.accept_days}, resolve in ${item.resolve_days} working days`);
  return [`${decision.agency.name} (${decision.agency.level}, v${guide.version})`, ...why, ...items,
          `supervision: ${guide.supervision.phone}`];
}

/** (e) Anyone searches the libraries and follows each hit by its kind. */
export async function search(anyone: OneNet, words: string): Promise<string[]> {
  const found = ok(await anyone.GET("/api/v1/search", { params: { query: { q: words, page_size: 10 } } }));
  const lines = found.items.map((hit) => `${hit.kind} ${hit.id}: ${hit.title} (${hit.service_area ?? "any area"})`);
  return [`${found.total} found`, ...lines];
}

// A front end's first steps with the generated clients: register a developer and a project, change the
// project under If-Match, score it, read the bulletin as JSON and as CSV, and read a bank's event feed.
// Every call and every body is typed from openapi/*.json; `tsc --strict` refuses a misspelt field.
//
// Run (after `make clients`): REGISTRY_URL=... RISK_URL=... FINANCING_URL=... TOKEN=... npm run example
import createClient from "openapi-fetch";

import type { components as FinancingSchemas, paths as FinancingPaths } from "../generated/financing.js";
import type { paths as RegistryPaths } from "../generated/registry.js";
import type { paths as RiskPaths } from "../generated/risk.js";

type FeedEvent = FinancingSchemas["schemas"]["EventPage"]["items"][number];
type Problem = { type: string; title: string; status: number; detail: string };

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function fail(what: string, problem: Problem | undefined): never {
  throw new Error(`${what}: ${problem ? `${problem.status} ${problem.type}: ${problem.detail}` : "no answer"}`);
}

/** What a front end shows for an event: the union is narrowed by `type`, so `data` has that event's fields. */
function describe(event: FeedEvent): string {
  switch (event.type) {
    case "whitelist.entry_pushed":
      return `entry ${event.data.entry_id} pushed (${event.data.requested_amount} yuan requested)`;
    case "credit_line.approved":
      return `credit line ${event.data.credit_line_id} approved for ${event.data.approved_amount} yuan`;
    case "project.risk_tier_changed":
      return `project ${event.data.project_id} is now ${event.data.tier}`;
    default:
      return `${event.type} for project ${event.data.project_id}`;
  }
}

async function main(): Promise<void> {
  const headers = { Authorization: `Bearer ${setting("TOKEN")}` };
  const registry = createClient<RegistryPaths>({ baseUrl: setting("REGISTRY_URL"), headers });
  const risk = createClient<RiskPaths>({ baseUrl: setting("RISK_URL"), headers });
  const financing = createClient<FinancingPaths>({ baseUrl: setting("FINANCING_URL"), headers });
  const code = setting("PROJECT_CODE");

  const districts = await registry.GET("/v1/districts");
  if (!districts.data) fail("listDistricts", districts.error);
  const district = districts.data.items[0];
  if (!district) throw new Error("the city has no district");

  const developer = await registry.POST("/v1/developers", {
    body: { name: "示例置业有限公司", credit_code: setting("CREDIT_CODE") },
  });
  if (!developer.data) fail("createDeveloper", developer.error);

  const created = await registry.POST("/v1/projects", {
    body: {
      code,
      name: "示例花园",
      district: district.code,
      developer_id: developer.data.id,
      total_units: 1200,
      sold_units: 980,
      contract_delivery_date: "2027-06-30",
      remaining_cost: "125000000.00",
      own_funds_available: "30000000.00",
    },
  });
  if (!created.data) fail("createProject", created.error);
  const projectId = created.data.id;
  const location = created.response.headers.get("Location");
  const etag = created.response.headers.get("ETag");
  if (!etag) throw new Error("createProject answered no ETag");

  const stale = await registry.PATCH("/v1/projects/{project_id}", {
    params: { path: { project_id: projectId }, header: { "If-Match": '"0"' } },
    body: { name: "不会生效" },
  });
  const changed = await registry.PATCH("/v1/projects/{project_id}", {
    params: { path: { project_id: projectId }, header: { "If-Match": `"0", ${etag}` } },
    body: { name: "示例花园（一期）", status: "under_construction" },
  });
  if (!changed.data) fail("updateProject", changed.error);

  const scored = await risk.POST("/v1/score", {
    body: {
      features: {
        stall_days: 120,
        progress_lag_pct: 18.5,
        funding_gap_amount: "95000000.00",
        funding_gap_ratio: 0.76,
        disputes_30d: 2,
        disputes_90d: 5,
        group_incidents_90d: 0,
        overdue_days: 0,
      },
    },
  });
  if (!scored.data) fail("scoreProject", scored.error);

  const month = setting("REPORT_MONTH");
  const bulletin = await registry.GET("/v1/reports/monthly", { params: { query: { month } } });
  if (!bulletin.data) fail("getMonthlyReport", bulletin.error);
  // The CSV form of the same report: ask for it, and read the body as text.
  const csv = await registry.GET("/v1/reports/monthly", {
    params: { query: { month } },
    headers: { Accept: "text/csv" },
    parseAs: "text",
  });
  if (csv.data === undefined) fail("getMonthlyReport as CSV", csv.error);

  const feed = await financing.GET("/v1/events", { params: { query: { limit: 10 } } });
  if (!feed.data) fail("listEvents", feed.error);

  const unknown = await registry.GET("/v1/projects", { params: { query: { limit: 5, unknown: "x" } as never } });

  console.log(
    JSON.stringify({
      project_id: projectId,
      location,
      etag,
      stale_status: stale.response.status,
      stale_type: stale.error?.type ?? null,
      name: changed.data.name,
      status: changed.data.status,
      version: changed.data.version,
      new_etag: changed.response.headers.get("ETag"),
      request_id: changed.response.headers.get("X-Request-ID"),
      tier: scored.data.tier,
      score: scored.data.score,
      reasons: scored.data.reason_codes.map((reason) => reason.code),
      bulletin_month: bulletin.data.month,
      csv_first_line: csv.data.split("\n")[0]?.replace("\ufeff", ""),
      events: feed.data.items.map(describe),
      unknown_query_status: unknown.response.status,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

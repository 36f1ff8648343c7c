// One flow of Zoho's official Node SDK (npm `@zohocrm/nodejs-sdk-8.0`) against zohocrm-mock.
//
// Run by `cargo xtask interop`; by hand:
//
//     MOCK_URL=http://127.0.0.1:PORT INTEROP_TMP=/tmp/dir \
//       INTEROP_NODE_MODULES=/path/to/node_modules node node_flow.mjs
//
// Prints one JSON line per call: {"call", "ok", "detail"}. Exits 0 when every call passed.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const BASE = process.env.MOCK_URL.replace(/\/+$/, "");
const TMP = process.env.INTEROP_TMP;
const SDK_ENTRY = join(process.env.INTEROP_NODE_MODULES, "@zohocrm/nodejs-sdk-8.0/lib/index.js");
const Z = await import(pathToFileURL(SDK_ENTRY).href);
const TAG = "Interop-Node";

class Failed extends Error {}

function expect(cond, what) {
  if (!cond) throw new Failed(what);
}

/** The response object, checked to be an instance of `wrapper` with `status`. */
function bodyOf(resp, wrapper, status = 200) {
  expect(resp != null, "no response");
  const obj = resp.getObject();
  expect(
    resp.getStatusCode() === status && obj instanceof wrapper,
    `status ${resp.getStatusCode()}, ${obj?.constructor?.name} (wanted ${status}, ${wrapper.name})`,
  );
  return obj;
}

const results = [];

async function step(name, fn) {
  let result;
  try {
    result = { call: name, ok: true, detail: (await fn()) ?? "" };
  } catch (e) {
    if (!(e instanceof Failed)) console.error(e);
    result = { call: name, ok: false, detail: `${e?.constructor?.name}: ${e?.message ?? JSON.stringify(e)}` };
  }
  results.push(result);
  console.log(JSON.stringify(result));
}

const state = {};

async function signIn() {
  // The tested configuration: a custom environment (API, accounts and upload URLs all the
  // mock's) and a file token store in a temp dir.
  const environment = new Z.Environment(BASE, `${BASE}/oauth/v2/token`, BASE);
  const token = new Z.OAuthBuilder()
    .clientId("mock-client-id")
    .clientSecret("mock-client-secret")
    .refreshToken("mock-refresh-token")
    .build();
  const store = new Z.FileStore(join(TMP, "node_tokens.txt"));
  const logger = new Z.LogBuilder().level(Z.Levels.INFO).filePath(join(TMP, "node_sdk.log")).build();
  const sdkConfig = new Z.SDKConfigBuilder().autoRefreshFields(false).pickListValidation(true).build();
  await (await new Z.InitializeBuilder())
    .environment(environment)
    .token(token)
    .store(store)
    .SDKConfig(sdkConfig)
    .resourcePath(TMP)
    .logger(logger)
    .initialize();
  const access = await token.getToken();
  expect(typeof access === "string" && access.startsWith("mock-access-"), `access token ${access}`);
  expect(readFileSync(join(TMP, "node_tokens.txt"), "utf8").includes("mock-refresh-token"), "the token store holds the refresh token");
  return "access token minted and stored";
}

function leadsPage(page) {
  return async () => {
    const params = new Z.ParameterMap();
    await params.add(Z.Record.GetRecordsParam.FIELDS, "Last_Name,First_Name,Email,Company,Lead_Status,Product_Interest,Annual_Revenue,Owner,Tag,Created_Time");
    await params.add(Z.Record.GetRecordsParam.PER_PAGE, 5);
    if (page === 2) await params.add(Z.Record.GetRecordsParam.PAGE_TOKEN, state.nextPageToken);
    const obj = bodyOf(await new Z.Record.RecordOperations("Leads").getRecords(params), Z.Record.ResponseWrapper);
    const data = obj.getData();
    expect(data.length === 5, `${data.length} records`);
    const ids = data.map((r) => r.getId());
    expect(ids.every((i) => typeof i === "bigint"), "ids are BigInts");
    const info = obj.getInfo();
    expect(info.getMoreRecords() === true, "more_records");
    if (page === 1) {
      state.page1 = ids;
      state.nextPageToken = info.getNextPageToken();
      expect(state.nextPageToken, "next_page_token");
      state.leadId = ids[0];
    } else {
      expect(!ids.some((i) => state.page1.includes(i)), "page 2 repeats page 1");
    }
    const owner = data[0].getKeyValue("Owner");
    expect(owner != null && owner.getEmail(), "Owner is a user with an e-mail");
    return `${data.length} records, ids ${ids[0]}..${ids[ids.length - 1]}`;
  };
}

async function oneRecord() {
  const obj = bodyOf(await new Z.Record.RecordOperations("Leads").getRecord(state.leadId), Z.Record.ResponseWrapper);
  const rec = obj.getData()[0];
  expect(rec.getId() === state.leadId, "id");
  expect(rec.getKeyValue("Last_Name"), "Last_Name");
  return `id ${rec.getId()}, Last_Name ${rec.getKeyValue("Last_Name")}`;
}

async function createTwo() {
  const good = new Z.Record.Record();
  good.addKeyValue("Last_Name", TAG);
  good.addKeyValue("First_Name", "Grace");
  good.addKeyValue("Email", "grace.interop.node@example.test");
  good.addKeyValue("Company", "Interop Ltd");
  good.addKeyValue("No_of_Employees", 12);
  const bad = new Z.Record.Record();
  bad.addKeyValue("First_Name", "Nameless");
  bad.addKeyValue("Company", "Nowhere Ltd");
  const body = new Z.Record.BodyWrapper();
  body.setData([good, bad]);
  const obj = bodyOf(await new Z.Record.RecordOperations("Leads").createRecords(body), Z.Record.ActionWrapper, 207);
  const [first, second] = obj.getData();
  expect(first instanceof Z.Record.SuccessResponse, `first is a success: ${first?.constructor?.name}`);
  state.created = BigInt(first.getDetails().get("id"));
  expect(second instanceof Z.Record.APIException, "second is an error");
  expect(second.getCode().getValue() === "MANDATORY_NOT_FOUND", `code ${second.getCode().getValue()}`);
  const details = second.getDetails();
  expect(details.get("api_name") === "Last_Name", `api_name ${details.get("api_name")}`);
  expect(details.get("json_path") === "$.data[1].Last_Name", `json_path ${details.get("json_path")}`);
  return `207: SUCCESS id ${state.created}, MANDATORY_NOT_FOUND Last_Name`;
}

async function update() {
  const rec = new Z.Record.Record();
  rec.addKeyValue("Company", "Interop Updated Ltd");
  const body = new Z.Record.BodyWrapper();
  body.setData([rec]);
  const ops = new Z.Record.RecordOperations("Leads");
  const obj = bodyOf(await ops.updateRecord(state.created, body), Z.Record.ActionWrapper);
  expect(obj.getData()[0] instanceof Z.Record.SuccessResponse, "success");
  const got = bodyOf(await ops.getRecord(state.created), Z.Record.ResponseWrapper);
  expect(got.getData()[0].getKeyValue("Company") === "Interop Updated Ltd", "Company updated");
  return "record updated and read back";
}

async function search() {
  const params = new Z.ParameterMap();
  await params.add(Z.Record.SearchRecordsParam.CRITERIA, `(Last_Name:equals:${TAG})`);
  const obj = bodyOf(await new Z.Record.RecordOperations("Leads").searchRecords(params), Z.Record.ResponseWrapper);
  const ids = obj.getData().map((r) => r.getId());
  expect(ids.includes(state.created), "created record found");
  return `${ids.length} match`;
}

async function del() {
  const ops = new Z.Record.RecordOperations("Leads");
  const obj = bodyOf(await ops.deleteRecord(state.created), Z.Record.ActionWrapper);
  expect(obj.getData()[0] instanceof Z.Record.SuccessResponse, "success");
  const resp = await ops.getRecord(state.created);
  expect(resp.getStatusCode() === 204, `gone (status ${resp.getStatusCode()})`);
  return "deleted; reading it answers 204";
}

async function coql() {
  const body = new Z.Coql.BodyWrapper();
  body.setSelectQuery("select Last_Name, Email, Owner from Leads where Last_Name is not null order by id limit 5");
  const obj = bodyOf(await new Z.Coql.CoqlOperations().getRecords(body), Z.Coql.ResponseWrapper);
  const data = obj.getData();
  expect(data.length === 5, `${data.length} rows`);
  expect(obj.getInfo().getMoreRecords() === true, "more_records");
  return `${data.length} rows`;
}

async function territories() {
  const obj = bodyOf(await new Z.Territories.TerritoriesOperations().getTerritories(new Z.ParameterMap()), Z.Territories.ResponseWrapper);
  const names = obj.getTerritories().map((t) => t.getName());
  expect(names.includes("Global"), `names ${names}`);
  return `${names.length} territories`;
}

async function licences() {
  const obj = bodyOf(await new Z.Features.FeaturesOperations().getUserLicencesCount(), Z.Features.ResponseWrapper);
  const details = obj.getFeatures()[0].getDetails();
  const used = details.getUsedCount().getTotal();
  const limit = details.getLimits().getTotal();
  const available = details.getAvailableCount().getTotal();
  expect(Number(used) + Number(available) === Number(limit), `used ${used} + available ${available} != limit ${limit}`);
  return `${used} of ${limit} used`;
}

async function modules() {
  const obj = bodyOf(await new Z.Modules.ModulesOperations().getModules(new Z.ParameterMap()), Z.Modules.ResponseWrapper);
  const names = obj.getModules().map((m) => m.getAPIName());
  expect(names.includes("Leads"), `names ${names}`);
  return names.join(", ");
}

async function fields() {
  const params = new Z.ParameterMap();
  await params.add(Z.Fields.GetFieldsParam.MODULE, "Leads");
  const obj = bodyOf(await new Z.Fields.FieldsOperations().getFields(params), Z.Fields.ResponseWrapper);
  const byName = new Map(obj.getFields().map((f) => [f.getAPIName(), f]));
  expect(byName.get("Last_Name")?.getSystemMandatory() === true, "Last_Name is mandatory");
  expect(byName.get("Lead_Status")?.getDataType() === "picklist", "Lead_Status is a picklist");
  return `${byName.size} fields`;
}

await step("sign-in (refresh token)", signIn);
await step("Leads page 1", leadsPage(1));
await step("Leads page 2 (page_token)", leadsPage(2));
await step("one record", oneRecord);
await step("create 2 (207)", createTwo);
await step("update", update);
await step("search by criteria", search);
await step("delete", del);
await step("COQL", coql);
await step("territories", territories);
await step("user licences", licences);
await step("modules", modules);
await step("fields of Leads", fields);
process.exit(results.every((r) => r.ok) ? 0 : 1);

"""One flow of Zoho's official Python SDK (PyPI `zohocrmsdk8_0`) against zohocrm-mock.

Run by `cargo xtask interop`; by hand:

    MOCK_URL=http://127.0.0.1:PORT INTEROP_TMP=/tmp/dir python3 python_flow.py

Prints one JSON line per call: {"call", "ok", "detail"}. Exits 0 when every call passed.
"""

import json
import os
import sys
import traceback

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.coql import BodyWrapper as CoqlBody
from zohocrmsdk.src.com.zoho.crm.api.coql import CoqlOperations
from zohocrmsdk.src.com.zoho.crm.api.coql import ResponseWrapper as CoqlWrapper
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.features import FeaturesOperations
from zohocrmsdk.src.com.zoho.crm.api.features import ResponseWrapper as FeaturesWrapper
from zohocrmsdk.src.com.zoho.crm.api.fields import FieldsOperations, GetFieldsParam
from zohocrmsdk.src.com.zoho.crm.api.fields import ResponseWrapper as FieldsWrapper
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.modules import ModulesOperations
from zohocrmsdk.src.com.zoho.crm.api.modules import ResponseWrapper as ModulesWrapper
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    APIException,
    BodyWrapper,
    GetRecordsParam,
    Record,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
    SuccessResponse,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zohocrmsdk.src.com.zoho.crm.api.territories import TerritoriesOperations
from zohocrmsdk.src.com.zoho.crm.api.territories import ResponseWrapper as TerritoriesWrapper

BASE = os.environ["MOCK_URL"].rstrip("/")
TMP = os.environ["INTEROP_TMP"]
TAG = "Interop-Py"


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


def body_of(resp, wrapper, status=200):
    """The response object, checked to be `wrapper` with `status`."""
    expect(resp is not None, "no response")
    obj = resp.get_object()
    expect(
        resp.get_status_code() == status and isinstance(obj, wrapper),
        "status %s, %s (wanted %s, %s)"
        % (resp.get_status_code(), type(obj).__name__, status, wrapper.__name__),
    )
    return obj


results = []


def step(name, fn):
    try:
        detail = fn()
        results.append({"call": name, "ok": True, "detail": detail or ""})
    except Exception as e:  # every failure is reported, then the flow goes on
        if not isinstance(e, Failed):
            traceback.print_exc(file=sys.stderr)
        results.append({"call": name, "ok": False, "detail": "%s: %s" % (type(e).__name__, e)})
    print(json.dumps(results[-1]), flush=True)


state = {}


def sign_in():
    # The tested configuration: a custom environment (API, accounts and upload URLs all the
    # mock's) and a file token store in a temp dir.
    environment = DataCenter.Environment(BASE, BASE + "/oauth/v2/token", BASE)
    token = OAuthToken(
        client_id="mock-client-id",
        client_secret="mock-client-secret",
        refresh_token="mock-refresh-token",
    )
    store = FileStore(file_path=os.path.join(TMP, "python_tokens.txt"))
    logger = Logger.get_instance(level=Logger.Levels.INFO, file_path=os.path.join(TMP, "python_sdk.log"))
    Initializer.initialize(
        environment=environment,
        token=token,
        store=store,
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=True),
        resource_path=TMP,
        logger=logger,
    )
    access = token.get_token()
    expect(access and access.startswith("mock-access-"), "access token %r" % access)
    with open(os.path.join(TMP, "python_tokens.txt")) as f:
        expect("mock-refresh-token" in f.read(), "the token store holds the refresh token")
    return "access token minted and stored"


def leads_page(page):
    def run():
        params = ParameterMap()
        params.add(GetRecordsParam.fields, "Last_Name,First_Name,Email,Company,Lead_Status,Product_Interest,Annual_Revenue,Owner,Tag,Created_Time")
        params.add(GetRecordsParam.per_page, 5)
        if page == 2:
            params.add(GetRecordsParam.page_token, state["next_page_token"])
        obj = body_of(RecordOperations("Leads").get_records(params), ResponseWrapper)
        data = obj.get_data()
        expect(len(data) == 5, "%d records" % len(data))
        ids = [r.get_id() for r in data]
        expect(all(isinstance(i, int) for i in ids), "ids are integers")
        info = obj.get_info()
        expect(info.get_more_records() is True, "more_records")
        if page == 1:
            state["page1"] = ids
            state["next_page_token"] = info.get_next_page_token()
            expect(state["next_page_token"], "next_page_token")
            state["lead_id"] = ids[0]
        else:
            expect(not set(ids) & set(state["page1"]), "page 2 repeats page 1")
        owner = data[0].get_key_value("Owner")
        expect(owner is not None and owner.get_email(), "Owner is a user with an e-mail")
        return "%d records, ids %d..%d" % (len(data), ids[0], ids[-1])

    return run


def one_record():
    obj = body_of(RecordOperations("Leads").get_record(state["lead_id"]), ResponseWrapper)
    rec = obj.get_data()[0]
    expect(rec.get_id() == state["lead_id"], "id")
    expect(rec.get_key_value("Last_Name"), "Last_Name")
    return "id %d, Last_Name %s" % (rec.get_id(), rec.get_key_value("Last_Name"))


def create_two():
    good = Record()
    good.add_key_value("Last_Name", TAG)
    good.add_key_value("First_Name", "Ada")
    good.add_key_value("Email", "ada.interop.py@example.test")
    good.add_key_value("Company", "Interop Ltd")
    good.add_key_value("No_of_Employees", 12)
    bad = Record()
    bad.add_key_value("First_Name", "Nameless")
    bad.add_key_value("Company", "Nowhere Ltd")
    body = BodyWrapper()
    body.set_data([good, bad])
    obj = body_of(RecordOperations("Leads").create_records(body), ActionWrapper, 207)
    first, second = obj.get_data()
    expect(isinstance(first, SuccessResponse), "first is a success: %s" % type(first).__name__)
    state["created"] = int(first.get_details()["id"])
    expect(isinstance(second, APIException), "second is an error")
    expect(second.get_code().get_value() == "MANDATORY_NOT_FOUND", "code %s" % second.get_code().get_value())
    details = second.get_details()
    expect(details.get("api_name") == "Last_Name", "details %s" % details)
    expect(details.get("json_path") == "$.data[1].Last_Name", "json_path %s" % details)
    return "207: SUCCESS id %d, MANDATORY_NOT_FOUND Last_Name" % state["created"]


def update():
    rec = Record()
    rec.add_key_value("Company", "Interop Updated Ltd")
    body = BodyWrapper()
    body.set_data([rec])
    obj = body_of(RecordOperations("Leads").update_record(state["created"], body), ActionWrapper)
    result = obj.get_data()[0]
    expect(isinstance(result, SuccessResponse), "success")
    got = body_of(RecordOperations("Leads").get_record(state["created"]), ResponseWrapper)
    expect(got.get_data()[0].get_key_value("Company") == "Interop Updated Ltd", "Company updated")
    return "record updated and read back"


def search():
    params = ParameterMap()
    params.add(SearchRecordsParam.criteria, "(Last_Name:equals:%s)" % TAG)
    obj = body_of(RecordOperations("Leads").search_records(params), ResponseWrapper)
    ids = [r.get_id() for r in obj.get_data()]
    expect(state["created"] in ids, "created record found")
    return "%d match" % len(ids)


def delete():
    obj = body_of(RecordOperations("Leads").delete_record(state["created"]), ActionWrapper)
    expect(isinstance(obj.get_data()[0], SuccessResponse), "success")
    resp = RecordOperations("Leads").get_record(state["created"])
    expect(resp.get_status_code() == 204, "gone (status %s)" % resp.get_status_code())
    return "deleted; reading it answers 204"


def coql():
    body = CoqlBody()
    body.set_select_query("select Last_Name, Email, Owner from Leads where Last_Name is not null order by id limit 5")
    obj = body_of(CoqlOperations().get_records(body), CoqlWrapper)
    data = obj.get_data()
    expect(len(data) == 5, "%d rows" % len(data))
    expect(obj.get_info().get_more_records() is True, "more_records")
    return "%d rows" % len(data)


def territories():
    obj = body_of(TerritoriesOperations().get_territories(ParameterMap()), TerritoriesWrapper)
    names = [t.get_name() for t in obj.get_territories()]
    expect("Global" in names, "names %s" % names)
    return "%d territories" % len(names)


def licences():
    obj = body_of(FeaturesOperations().get_user_licences_count(), FeaturesWrapper)
    details = obj.get_features()[0].get_details()
    used = details.get_used_count().get_total()
    limit = details.get_limits().get_total()
    available = details.get_available_count().get_total()
    expect(used + available == limit, "used %s + available %s != limit %s" % (used, available, limit))
    return "%s of %s used" % (used, limit)


def modules():
    obj = body_of(ModulesOperations().get_modules(ParameterMap()), ModulesWrapper)
    names = [m.get_api_name() for m in obj.get_modules()]
    expect("Leads" in names, "names %s" % names)
    return ", ".join(names)


def fields():
    params = ParameterMap()
    params.add(GetFieldsParam.module, "Leads")
    obj = body_of(FieldsOperations().get_fields(params), FieldsWrapper)
    by_name = {f.get_api_name(): f for f in obj.get_fields()}
    last = by_name.get("Last_Name")
    expect(last is not None and last.get_system_mandatory() is True, "Last_Name is mandatory")
    expect(by_name["Lead_Status"].get_data_type() == "picklist", "Lead_Status is a picklist")
    return "%d fields" % len(by_name)


step("sign-in (refresh token)", sign_in)
step("Leads page 1", leads_page(1))
step("Leads page 2 (page_token)", leads_page(2))
step("one record", one_record)
step("create 2 (207)", create_two)
step("update", update)
step("search by criteria", search)
step("delete", delete)
step("COQL", coql)
step("territories", territories)
step("user licences", licences)
step("modules", modules)
step("fields of Leads", fields)
sys.exit(0 if all(r["ok"] for r in results) else 1)

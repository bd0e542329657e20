"""Golden customer fields -> a Salesforce Account write shape.

A few Account fields are derived (Name, Phone, BillingStreet); the rest are one golden
field to one Account field, standard where Salesforce has one, ``Chub_*__c`` custom fields
otherwise. ``Settings.field_map`` overrides or extends the one-to-one part (an empty
target drops a field). A golden value that is None is sent as null so that a value
removed from the golden record is cleared downstream too; an absent key is not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_FIELD_MAP", "to_account"]

DEFAULT_FIELD_MAP: dict[str, str] = {
    "province": "BillingState",
    "city": "BillingCity",
    "customer_type": "Chub_Customer_Type__c",
    "mobile": "Chub_Mobile__c",
    "email": "Chub_Email__c",
    "company_name": "Chub_Company_Name__c",
    "uscc": "Chub_USCC__c",
    "owner": "Chub_Owner__c",
    "tags": "Chub_Tags__c",
    "wecom_external_userid": "Chub_WeCom_External_UserId__c",
    "wechat_unionid": "Chub_WeChat_UnionId__c",
    "lifecycle_stage": "Chub_Lifecycle_Stage__c",
    "value_tier": "Chub_Value_Tier__c",
    "orders_count": "Chub_Orders_Count__c",
    "revenue": "Chub_Revenue__c",
    "first_order_at": "Chub_First_Order_At__c",
    "last_order_at": "Chub_Last_Order_At__c",
    "last_touch_at": "Chub_Last_Touch_At__c",
    "churn_risk": "Chub_Churn_Risk__c",
    "churn_reason": "Chub_Churn_Reason__c",
    # "active", or "merged" with the surviving golden id (a merge reaching the CRM)
    "status": "Chub_Status__c",
    "merged_into": "Chub_Merged_Into__c",
    "absorbed_ids": "Chub_Merged_Ids__c",
}


def _value(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        # Salesforce multi-select picklists and text both take ";"-joined values
        return ";".join(str(v) for v in value) or None
    return value


def to_account(
    fields: Mapping[str, Any], field_map: Mapping[str, str] | None = None
) -> dict[str, Any]:
    mapping = {**DEFAULT_FIELD_MAP, **(field_map or {})}
    account: dict[str, Any] = {}
    # Account.Name is required: a company is known by its company name, a person by name
    if fields.get("customer_type") == "company":
        name = fields.get("company_name") or fields.get("name")
    else:
        name = fields.get("name") or fields.get("company_name")
    if "name" in fields or "company_name" in fields:
        account["Name"] = name
    if "mobile" in fields or "phones" in fields:
        phones = fields.get("phones") or []
        account["Phone"] = fields.get("mobile") or (phones[0] if phones else None)
    if "address" in fields or "district" in fields:
        street = "".join(p for p in (fields.get("district"), fields.get("address")) if p)
        account["BillingStreet"] = street or None
    for golden, target in mapping.items():
        if target and golden in fields:
            account[target] = _value(fields[golden])
    return account

"""What the fake org knows of Zoho's data model: scopes and their nesting, field names per module.

Scopes: https://www.zoho.com/crm/developer/docs/api/v8/scopes.html and the scope line of each
endpoint's page (``….ALL`` covers every operation below it; ``WRITE`` covers ``CREATE`` and
``UPDATE``). Fields: Zoho's SDK field lists (``zohocrm-python-sdk-8.0`` ``record/field.py``) plus
the ``$`` keys Get Records documents (``$se_module``, ``$event_cancelled``).
"""

from __future__ import annotations

COUNT_SCOPES = ("ZohoSearch.securesearch.READ", "ZohoCRM.settings.layouts.READ")
DOCUMENTED_SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.modules.notes.ALL",
    "ZohoCRM.users.READ",
    "ZohoCRM.change_owner.CREATE",
    "ZohoCRM.notifications.ALL",
    "ZohoCRM.bulk.read",
    "ZohoCRM.settings.users_unavailability.READ",
    "ZohoCRM.settings.tags.ALL",
    *COUNT_SCOPES,
)
"""The scopes ``docs/zoho.md`` tells users to grant."""
_COMMON = ("id", "Owner", "Created_Time", "Modified_Time", "Modified_By", "Created_By", "Tag")
_ACTIVITY = (*_COMMON, "What_Id", "$se_module", "Who_Id", "Subject", "Description")
SCHEMA: dict[str, frozenset[str]] = {
    "Leads": frozenset(
        {
            *_COMMON,
            "Lead_Status",
            "Company",
            "First_Name",
            "Last_Name",
            "Email",
            "Secondary_Email",
            "Phone",
            "Mobile",
            "Website",
            "Country",
            "City",
            "Converted__s",
            "Converted_Date_Time",
            "Lead_Source",
        }
    ),
    "Contacts": frozenset(
        {
            *_COMMON,
            "First_Name",
            "Last_Name",
            "Email",
            "Secondary_Email",
            "Phone",
            "Mobile",
            "Mailing_Country",
            "Mailing_City",
            "Account_Name",
        }
    ),
    "Accounts": frozenset({*_COMMON, "Account_Name", "Phone", "Website", "Billing_Country", "Billing_City"}),
    "Deals": frozenset(
        {*_COMMON, "Deal_Name", "Stage", "Account_Name", "Contact_Name", "Amount", "Closing_Date"}
    ),
    "Calls": frozenset(
        {
            *_ACTIVITY,
            "Call_Start_Time",
            "Call_Type",
            "Call_Status",
            "Outgoing_Call_Status",
            "Call_Duration",
            "Call_Result",
        }
    ),
    "Events": frozenset({*_ACTIVITY, "Start_DateTime", "End_DateTime", "Event_Title", "$event_cancelled"}),
    "Tasks": frozenset({*_ACTIVITY, "Status", "Due_Date", "Closed_Time", "Priority"}),
}
"""Field API names per module (Zoho's SDK field lists plus the ``$`` keys Get Records documents)."""


def covers(granted: str, needed: str) -> bool:
    """Does scope ``granted`` include ``needed``? ``….ALL`` covers everything below; WRITE covers CREATE/UPDATE."""
    have, want = granted.lower().split("."), needed.lower().split(".")
    if have[-1] == "all":
        return want[: len(have) - 1] == have[:-1]
    if have[-1] == "write" and want[-1] in ("create", "update", "write"):
        return want[:-1] == have[:-1]
    return have == want

"""The issue's TOML loads through the real config loader and passes the reference check."""

from __future__ import annotations

import tomllib

from connector.config import parse_config
from rules.sla.config import validate_references

TOML = """
[calendars.cn-office]
timezone = "Asia/Shanghai"
hours = ["09:00-12:00", "13:30-18:00"]
weekdays = ["mon", "tue", "wed", "thu", "fri"]
holidays = "CN"
extra_holidays = [2026-12-31]
extra_workdays = []

[[rules.sla]]
name = "first-contact-8bh"
module = "Leads"
when = { status = ["New", "Not Contacted"] }
first_activity_within = "8h"
calendar = "cn-office"
counts = ["call", "meeting", "email"]
on_breach = "reassign"
assign_to = "team:inside-sales"
max_reassignments = 2
steps = [{after = "4h", do = "flag"}, {after = "8h", do = "reassign"}, {after = "3d", do = "pool"}]
pool_owner = "u-pool"

[[rules.sla]]
name = "follow-up-7d"
module = "Leads"
when = { status_not = ["Converted", "Junk"] }
no_activity_for = "7d"
on_breach = "pool"
pool_owner = "u-pool"

[[rules.sla]]
name = "stuck-in-qualification"
module = "Deals"
in_status_for = { status = "Qualification", longer_than = "14d" }
on_breach = "flag"

[teams.inside-sales]
members = ["u1", "u2", "u3"]
strategy = "weighted"
weights = { u1 = 2 }
max_open = 200

[teams.apac]
members = ["u7"]

[assignment]
unavailable = [{ user = "u2", from = 2026-02-16, to = "2026-02-20" }]
route = [{ when = { country = "CN" }, team = "apac" }, { team = "inside-sales" }]
"""


def test_issue_example_loads_and_references_resolve() -> None:
    config = parse_config(tomllib.loads(TOML), environ={})
    assert [r.name for r in config.rules.sla] == [
        "first-contact-8bh",
        "follow-up-7d",
        "stuck-in-qualification",
    ]
    assert config.teams["inside-sales"].weight("u1") == 2
    assert config.assignment.route[0].team == "apac"
    problems = validate_references(config.rules.sla, config.calendars, config.teams, config.assignment)
    assert problems == []

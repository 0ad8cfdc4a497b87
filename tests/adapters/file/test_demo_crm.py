"""The bundled demo CRM loads cleanly and tells the story its README promises (for --now below)."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import phonenumbers
import pytest
from file_builders import make_adapter, pull_all

from connector.domain import Activity, Module, Record, User

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo-crm"
NOW = datetime.fromisoformat("2026-11-27T10:00:00+08:00")
FREE_MAIL = {"qq.com", "163.com", "gmail.com", "126.com", "outlook.com"}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_crm_generate", DEMO / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Demo:
    def __init__(self) -> None:
        adapter = make_adapter(DEMO, default_tz="Asia/Shanghai")
        self.users: dict[str, User] = {u.id: u for u in adapter.pull_users()}
        _, records, activities = pull_all(adapter)
        self.records: dict[str, Record] = {r.id: r for r in records}
        self.activities: list[Activity] = activities
        self.by_record: dict[str, list[Activity]] = defaultdict(list)
        for activity in activities:
            self.by_record[activity.record.id].append(activity)

    def own(self, record_id: str) -> list[Activity]:
        """Completed activities on the record by its current owner, oldest first."""
        owner = self.records[record_id].owner_id
        acts = [a for a in self.by_record[record_id] if a.owner_id == owner and a.completed]
        return sorted(acts, key=lambda a: a.occurred_at)

    def active_within(self, record_id: str, window: timedelta) -> bool:
        own = self.own(record_id)
        return bool(own) and NOW - own[-1].occurred_at <= window

    def first_contact_missed(self, record_id: str, within: timedelta = timedelta(hours=24)) -> bool:
        record = self.records[record_id]
        start = record.assigned_at or record.created_at
        assert start is not None
        own = self.own(record_id)
        return NOW - start > within and (not own or own[0].occurred_at - start > within)

    def silent_for(self, record_id: str) -> timedelta:
        last = max((a.occurred_at for a in self.by_record[record_id]), default=None)
        record = self.records[record_id]
        return NOW - (last or record.assigned_at or record.created_at)  # type: ignore[operator]


@pytest.fixture(scope="module")
def demo() -> Demo:
    return Demo()


def _e164(phone: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(phone, "CN"), phonenumbers.PhoneNumberFormat.E164)


def _domains(record: Record) -> set[str]:
    return {e.strip().lower().rsplit("@", 1)[1] for e in record.emails}


def test_the_generator_is_deterministic_and_the_files_are_current(tmp_path: Path) -> None:
    generator = _load_generator()
    written = list(generator.write(tmp_path))
    assert [p.name for p in written] == ["users.jsonl", "records.jsonl", "activities.jsonl"]
    for path in written:
        assert path.read_bytes() == (DEMO / path.name).read_bytes(), (
            f"run examples/demo-crm/generate.py ({path.name})"
        )


def test_the_demo_loads_and_has_the_promised_shape(demo: Demo) -> None:
    assert 55 <= len(demo.records) <= 65
    assert {r.module for r in demo.records.values()} == set(Module)
    assert 5 <= len(demo.users) <= 8
    assert [u.id for u in demo.users.values() if not u.active] == ["u-liu"]
    assert "u-pool" in demo.users
    assert {"inside-sales", "key-accounts"} <= {t for u in demo.users.values() for t in u.teams}
    companies = [r.company or "" for r in demo.records.values()]
    assert any("有限公司" in c for c in companies) and any(c.isascii() and c for c in companies)
    assert all(a.occurred_at <= NOW for a in demo.activities)
    assert all(r.owner_id in demo.users for r in demo.records.values())
    assert all(a.record.id in demo.records for a in demo.activities)


def test_messy_data_is_present(demo: Demo) -> None:
    phones = [p for r in demo.records.values() for p in r.phones]
    assert "+86 138 0013 8000" in phones and "13800138000" in phones
    assert any("０" <= ch <= "９" for p in phones for ch in p)  # full-width digits
    assert any("（" in (r.company or "") for r in demo.records.values())  # full-width brackets
    assert demo.records["L-1007"].created_at == datetime.fromisoformat(
        "2026-11-12T09:30:00+08:00"
    )  # was naive


# -- (a) duplicate pursuit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("L-1001", "C-2001", id="P1-acme-identical-email"),
        pytest.param("L-1002", "L-1003", id="P2-bytedance-phone-and-fuzzy-name"),
        pytest.param("L-1004", "C-2002", id="P3-tencent-key-accounts-domain"),
    ],
)
def test_pursuit_situations_have_two_owners_both_active_within_30_days(
    demo: Demo, first: str, second: str
) -> None:
    a, b = demo.records[first], demo.records[second]
    assert a.owner_id != b.owner_id
    assert demo.active_within(first, timedelta(days=30))
    assert demo.active_within(second, timedelta(days=30))


def test_p1_is_linked_by_an_identical_normalised_email(demo: Demo) -> None:
    a, b = demo.records["L-1001"], demo.records["C-2001"]
    assert {e.strip().lower() for e in a.emails} == {e.strip().lower() for e in b.emails}
    assert a.emails != b.emails  # raw text differs (case, spaces)


def test_p2_shares_no_email_but_the_same_phone_number(demo: Demo) -> None:
    a, b = demo.records["L-1002"], demo.records["L-1003"]
    assert not {e.lower() for e in a.emails} & {e.lower() for e in b.emails}
    assert {_e164(p) for p in a.phones} & {_e164(p) for p in b.phones} == {"+8613800138000"}
    assert "163.com" in _domains(b)  # a free-mail address: must not be used to link companies
    assert b.company is not None and b.company in (a.company or "")


def test_p3_is_key_accounts_co_pursuit_by_corporate_domain(demo: Demo) -> None:
    a, b = demo.records["L-1004"], demo.records["C-2002"]
    assert _domains(a) == _domains(b) == {"tencent.com"}
    for record in (a, b):
        assert "key-accounts" in demo.users[record.owner_id or ""].teams


def test_decoys_are_not_pursuits(demo: Demo) -> None:
    # same free-mail domain, different customers
    assert _domains(demo.records["L-1005"]) == _domains(demo.records["L-1006"]) == {"qq.com"}
    # same email, but the other owner stopped working it more than 30 days ago
    assert demo.active_within("C-2005", timedelta(days=30))
    assert not demo.active_within("C-2004", timedelta(days=30))
    # same person twice, one owner
    assert demo.records["L-1009"].owner_id == demo.records["C-2006"].owner_id


def test_identical_email_pursuits_are_exactly_p1(demo: Demo) -> None:
    """What a match rule on email alone must find: only Acme."""
    groups: dict[str, set[str]] = defaultdict(set)
    for record in demo.records.values():
        for email in record.emails:
            groups[email.strip().lower()].add(record.id)
    pursuits = {
        email
        for email, ids in groups.items()
        if len({demo.records[i].owner_id for i in ids if demo.active_within(i, timedelta(days=30))}) >= 2
    }
    assert pursuits == {"john.doe@acme.com"}


def test_no_corporate_domain_or_phone_is_shared_by_different_owners_outside_the_story(demo: Demo) -> None:
    owners_by_key: dict[str, set[str]] = defaultdict(set)
    for record in demo.records.values():
        for domain in _domains(record) - FREE_MAIL:
            owners_by_key[domain].add(record.owner_id or "")
        for phone in record.phones:
            owners_by_key[_e164(phone)].add(record.owner_id or "")
    shared = {key for key, owners in owners_by_key.items() if len(owners) > 1}
    assert shared == {"acme.com", "tencent.com", "globex.com", "+8613800138000"}


# -- (b) follow-up SLAs ---------------------------------------------------------------------------


def test_first_contact_missed_after_24h_wall_clock(demo: Demo) -> None:
    leads = [r.id for r in demo.records.values() if r.module is Module.LEADS]
    missed = {i for i in leads if demo.first_contact_missed(i)}
    assert missed == {"L-1020", "L-1021", "L-1022", "L-1024"}
    assert [a.kind for a in demo.own("L-1024")][:1] == ["call"]  # L-1024 was contacted, only late


def test_the_friday_evening_and_colleague_only_leads(demo: Demo) -> None:
    friday = demo.records["L-1020"].assigned_at
    assert friday is not None and friday.weekday() == 4 and friday.hour >= 18
    assert demo.own("L-1020") == []
    assert [(a.kind, a.completed) for a in demo.by_record["L-1020"]] == [("task", False)]  # planned, not done
    colleague = demo.by_record["L-1021"]
    assert colleague and demo.own("L-1021") == []
    assert {a.owner_id for a in colleague} == {"u-li"}


def test_leads_silent_for_more_than_seven_days(demo: Demo) -> None:
    leads = [r.id for r in demo.records.values() if r.module is Module.LEADS]
    silent = {i for i in leads if demo.silent_for(i) > timedelta(days=7)}
    assert silent == {"L-1023", "L-1013"}
    assert not demo.users[demo.records["L-1013"].owner_id or ""].active  # orphaned by a rep who left


def test_one_deal_is_stuck_in_qualification_for_more_than_14_days(demo: Demo) -> None:
    stuck = {
        r.id
        for r in demo.records.values()
        if r.module is Module.DEALS
        and r.status == "Qualification"
        and NOW - datetime.fromisoformat(r.extra["status_changed_at"]) > timedelta(days=14)
    }
    assert stuck == {"D-4001"}
    assert all("status_changed_at" in r.extra for r in demo.records.values() if r.module is Module.DEALS)


# -- (c) normal records ---------------------------------------------------------------------------


def test_plenty_of_normal_well_handled_records(demo: Demo) -> None:
    """Filler ids are numbered from x100 (README.md): one owner each, contacted promptly and recently."""
    filler = [r for r in demo.records.values() if int(r.id.split("-")[1]) % 1000 >= 100]
    assert len(filler) >= 30
    for record in filler:
        if record.module is Module.ACCOUNTS:
            continue
        assert demo.own(record.id), record.id
        assert demo.silent_for(record.id) <= timedelta(days=7), record.id
        if record.module is Module.LEADS:
            assert not demo.first_contact_missed(record.id), record.id

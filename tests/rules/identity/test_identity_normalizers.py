"""Each normalizer with its own table, including the issue's required examples."""

from __future__ import annotations

import pytest

from rules.identity.company import normalize_company
from rules.identity.email import email_domain, free_mail_domains, normalize_email
from rules.identity.person import normalize_person
from rules.identity.phone import normalize_phone
from rules.identity.places import normalize_city
from rules.identity.similarity import similarity
from rules.identity.taxid import is_valid_uscc, normalize_tax_id, uscc_check_digit
from rules.identity.web import normalize_domain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(" Ann@Acme.COM ", "ann@acme.com", id="trim-and-lower"),
        pytest.param("<bob@acme.com>", "bob@acme.com", id="angle-brackets"),
        pytest.param("mailto:x@acme.com", "x@acme.com", id="mailto"),
        pytest.param("li@例子.公司", "li@xn--fsqu00a.xn--55qx5d", id="idna-domain"),
        pytest.param("not an email", None, id="no-at"),
        pytest.param("a@localhost", None, id="no-dot-in-domain"),
        pytest.param("@acme.com", None, id="no-local-part"),
    ],
)
def test_normalize_email(raw: str, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        pytest.param("a@acme.com", "acme.com", id="company-domain"),
        *[
            pytest.param(f"a@{d}", None, id=f"free-{d}")
            for d in ("qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn",
                      "sohu.com", "139.com", "aliyun.com", "gmail.com")
        ],
        pytest.param("a@vip.qq.com", None, id="free-subdomain"),
    ],
)
def test_email_domain_skips_free_mail(email: str, domain: str | None) -> None:
    assert email_domain(email, free_mail_domains()) == domain


def test_free_mail_list_is_extendable_and_large() -> None:
    extended = free_mail_domains(["Example-ISP.com"])
    assert "example-isp.com" in extended
    assert len(free_mail_domains()) > 4000
    assert email_domain("a@example-isp.com", extended) is None


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        pytest.param("+86 138 0013 8000", "CN", "+8613800138000", id="cn-plus"),
        pytest.param("13800138000", "CN", "+8613800138000", id="cn-bare"),
        pytest.param("0086-138-0013-8000", "CN", "+8613800138000", id="cn-0086"),
        pytest.param("(+86)13800138000", "CN", "+8613800138000", id="cn-parens"),
        pytest.param("+86 138 0013 8000", "US", "+8613800138000", id="cn-plus-on-us-record"),
        pytest.param("(415) 555-0100", "US", "+14155550100", id="us-number"),
        pytest.param("+1 415 555 0100 ext. 12", "CN", "+14155550100", id="extension-dropped"),
        pytest.param("138 0013 8000 转 123", "CN", "+8613800138000", id="chinese-extension-dropped"),
        pytest.param("010-6275 1234", "CN", "+861062751234", id="beijing-landline"),
        pytest.param("n/a", "CN", None, id="junk-text"),
        pytest.param("000000", "CN", None, id="junk-zeros"),
        pytest.param("1111111111", "CN", None, id="junk-repeated"),
        pytest.param("12345", "CN", None, id="too-short"),
        pytest.param("13800138000", "US", None, id="cn-mobile-read-as-us-is-invalid"),
    ],
)
def test_normalize_phone(raw: str, region: str, expected: str | None) -> None:
    assert normalize_phone(raw, region) == expected


def test_us_number_on_us_record_is_not_chinese() -> None:
    assert normalize_phone("(415) 555-0100", "US") != normalize_phone("(415) 555-0100", "CN")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("https://www.acme.co.uk/about", "acme.co.uk", id="issue-example"),
        pytest.param("WWW.ByteDance.com", "bytedance.com", id="case"),
        pytest.param("shop.example.com.cn", "example.com.cn", id="cn-second-level"),
        pytest.param("a@mail.acme.com", "acme.com", id="from-email"),
        pytest.param("localhost", None, id="no-suffix"),
        pytest.param("", None, id="empty"),
    ],
)
def test_normalize_domain(raw: str, expected: str | None) -> None:
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        pytest.param("北京字节跳动科技有限公司", "字节跳动科技", id="place-and-legal-form"),
        pytest.param("字节跳动科技", "字节跳动科技", id="already-bare"),
        pytest.param("广东省深圳市腾讯计算机系统有限公司", "腾讯计算机系统", id="province-and-city"),
        pytest.param("深圳市大疆创新科技有限公司北京分公司", "大疆创新科技", id="branch"),
        pytest.param("西门子（中国）有限公司", "西门子", id="full-width-parentheses"),
        pytest.param("阿里巴巴集团控股有限公司", "阿里巴巴", id="group-holding-and-brand-with-place-prefix"),
        pytest.param("北京银行股份有限公司", "北京银行", id="place-kept-before-generic-word"),
        pytest.param("上海市浦东新区张江高科技园区开发股份有限公司", "张江高科技园区开发", id="district"),
        pytest.param("The Acme Company", "acme", id="cleanco-quirk-the"),
        pytest.param("AAT", "aat", id="cleanco-quirk-empty"),
        pytest.param("Acme, Inc.", "acme", id="inc"),
        pytest.param("ACME GmbH & Co. KG", "acme", id="gmbh-co-kg"),
        pytest.param("Acme S.p.A.", "acme", id="spa"),
        pytest.param("Acme B.V.", "acme", id="bv"),
        pytest.param("Acme Pty Ltd", "acme", id="pty-ltd"),
        pytest.param("Acme Co., Ltd.", "acme", id="co-ltd"),
        pytest.param("Acme Holdings Limited", "acme", id="holdings-limited"),
        pytest.param("Ａｃｍｅ　Ｉｎｃ", "acme", id="full-width-latin"),
        pytest.param("Société Générale S.A.", "societe generale", id="accents"),
        pytest.param("Acme (UK) Ltd", "acme", id="parenthesised-country"),
    ],
)
def test_normalize_company(raw: str, key: str) -> None:
    name = normalize_company(raw)
    assert name is not None
    assert name.key == key


def test_company_place_implies_city() -> None:
    assert normalize_company("北京字节跳动科技有限公司").city == "北京"  # type: ignore[union-attr]
    assert normalize_company("广东省深圳市腾讯计算机系统有限公司").city == "深圳"  # type: ignore[union-attr]


def test_bytedance_variants_are_one_key_and_huawei_entities_stay_apart() -> None:
    a, b = normalize_company("北京字节跳动科技有限公司"), normalize_company("字节跳动科技")
    assert a is not None and b is not None and a.key == b.key
    c, d = normalize_company("华为技术有限公司"), normalize_company("华为终端有限公司")
    assert c is not None and d is not None
    assert similarity(c.key, d.key) < 0.9


@pytest.mark.parametrize(
    ("a", "b", "at_least", "below"),
    [
        pytest.param("acme robotics", "robotics acme", 1.0, None, id="latin-word-order"),
        pytest.param("字节跳动科技", "字节跳动科枝", 0.8, 0.9, id="chinese-by-characters"),
        pytest.param("华信科技", "华新科技", None, 0.9, id="hard-negative-one-char"),
    ],
)
def test_similarity(a: str, b: str, at_least: float | None, below: float | None) -> None:
    score = similarity(a, b)
    assert score == similarity(b, a)
    if at_least is not None:
        assert score >= at_least
    if below is not None:
        assert score < below


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("91350100M000100Y43", "91350100M000100Y43", id="valid-uscc"),
        pytest.param("9135 0100-M000 100Y43", "91350100M000100Y43", id="separators"),
        pytest.param("91350100m000100y43", "91350100M000100Y43", id="lower-case"),
        pytest.param("91350100M000100Y44", None, id="bad-check-digit"),
        pytest.param("DE123456789", "DE123456789", id="other-id-exact"),
        pytest.param("000000", None, id="junk"),
        pytest.param("n/a", None, id="too-short"),
    ],
)
def test_normalize_tax_id(raw: str, expected: str | None) -> None:
    assert normalize_tax_id(raw) == expected


def test_uscc_check_digit() -> None:
    assert uscc_check_digit("91110000802100433") == "B"
    assert is_valid_uscc("91440300708461136T")
    assert not is_valid_uscc("91440300708461136I")  # I is not in the charset


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        pytest.param("John", "Smith", "john smith", id="latin"),
        pytest.param("Smith,", "John", "john smith", id="order-independent"),
        pytest.param("Dr. John", "SMITH", "john smith", id="honorific"),
        pytest.param(None, "张伟先生", "张伟", id="chinese-title"),
        pytest.param("伟", "张", "张伟", id="chinese-surname-first"),
        pytest.param(None, None, None, id="empty"),
    ],
)
def test_normalize_person(first: str | None, last: str | None, expected: str | None) -> None:
    assert normalize_person(first, last) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("北京市", "北京", id="municipality"),
        pytest.param("北京", "北京", id="short"),
        pytest.param("深圳市", "深圳", id="city"),
        pytest.param(" Shanghai ", "shanghai", id="latin"),
        pytest.param("!!", None, id="junk"),
    ],
)
def test_normalize_city(raw: str, expected: str | None) -> None:
    assert normalize_city(raw) == expected

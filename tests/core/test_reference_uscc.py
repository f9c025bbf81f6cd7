"""USCC (GB 32100-2015) and organization code (GB 11714) validation. Expected values come from real codes
(中国工商银行 91100000100003962T, 重庆银行 91500000202869177Y) and hand computation with the standards' weights."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jinfu.core.reference.uscc import (
    CHARSET,
    generate_uscc,
    orgcode_check_digit,
    uscc_check_digit,
    validate_uscc,
)

ICBC = "91100000100003962T"
CQ_BANK = "91500000202869177Y"
CQ_DIVISIONS = ["500000", "500101", "500103", "500105", "500108", "500112", "500229", "500243"]
AUTH_TYPES = [("9", "1"), ("9", "2"), ("9", "3"), ("1", "1"), ("1", "2"), ("5", "1"), ("5", "3"), ("Y", "1")]


@pytest.mark.parametrize("code", [ICBC, CQ_BANK])
def test_known_valid_codes(code):
    r = validate_uscc(code)
    assert r.valid, r.reason_zh
    assert r.reason_code is None
    assert r.authority_code == "9" and r.authority_name.startswith("工商")
    assert r.org_type_code == "1" and r.org_type_name == "企业"
    assert r.expected_check_digit == code[-1]


def test_decoded_parts_of_chongqing_bank():
    r = validate_uscc(CQ_BANK)
    assert r.division_code == "500000"
    assert r.organization_code == "202869177"


def test_input_is_trimmed_and_upper_cased():
    r = validate_uscc("  91500000202869177y \n")
    assert r.valid
    assert r.code == CQ_BANK


def test_uscc_check_digit_matches_real_codes():
    assert uscc_check_digit(ICBC[:17]) == "T"
    assert uscc_check_digit(CQ_BANK[:17]) == "Y"


def test_orgcode_check_digit_hand_computed():
    # 1×3+0+0+0+0+3×8+9×4+6×2 = 75; 75 mod 11 = 9; 11-9 = 2 (ICBC's 10000396-2)
    assert orgcode_check_digit("10000396") == "2"
    # 2×3+0×7+2×9+8×10+6×5+9×8+1×4+7×2 = 224; 224 mod 11 = 4; 11-4 = 7 (重庆银行 20286917-7)
    assert orgcode_check_digit("20286917") == "7"
    assert orgcode_check_digit("00000001") == "9"  # 1×2 = 2 → 11-2 = 9
    assert orgcode_check_digit("00000006") == "X"  # 6×2 = 12 ≡ 1 → 11-1 = 10 → X
    assert orgcode_check_digit("00000000") == "0"  # 0 → 11 → 0
    assert orgcode_check_digit("A0000000") == "3"  # A=10: 10×3 = 30 ≡ 8 → 11-8 = 3


def test_reason_empty():
    for raw in ("", "   "):
        r = validate_uscc(raw)
        assert not r.valid and r.reason_code == "empty"
        assert "为空" in r.reason_zh


def test_reason_length():
    r = validate_uscc(CQ_BANK[:-1])
    assert not r.valid and r.reason_code == "length"
    assert "18" in r.reason_zh and "17" in r.reason_zh


@pytest.mark.parametrize(
    ("code", "pos", "char"),
    [
        ("91500000I02869177Y", 9, "I"),
        ("9150000020286917OY", 17, "O"),
        ("915000A0202869177Y", 7, "A"),  # division part must be digits
        ("Z1500000202869177Y", 1, "Z"),
        ("91500000202869177-", 18, "-"),
    ],
)
def test_reason_illegal_character_names_position_and_char(code, pos, char):
    r = validate_uscc(code)
    assert not r.valid and r.reason_code == "charset"
    assert f"第{pos}位" in r.reason_zh
    assert char in r.reason_zh


def test_reason_unknown_authority():
    r = validate_uscc("B1500000202869177Y")  # B is in the charset but is no registration authority
    assert not r.valid and r.reason_code == "authority"
    assert "第1位" in r.reason_zh


def test_reason_unknown_org_type():
    r = validate_uscc("94500000202869177Y")  # 工商 has types 1, 2, 3 only
    assert not r.valid and r.reason_code == "org_type"
    assert "第2位" in r.reason_zh


def test_reason_orgcode_check_wrong():
    first17 = "91500000202869178"  # organization code 20286917-8, correct is 7
    code = first17 + uscc_check_digit(first17)  # make the USCC check digit itself right
    r = validate_uscc(code)
    assert not r.valid and r.reason_code == "orgcode_check"
    assert "“7”" in r.reason_zh and "“8”" in r.reason_zh


def test_reason_check_digit_says_expected_and_given():
    r = validate_uscc("91500000202869177X")
    assert not r.valid and r.reason_code == "check_digit"
    assert r.expected_check_digit == "Y"
    assert "应为“Y”" in r.reason_zh and "实际为“X”" in r.reason_zh
    assert "'Y'" in r.reason_en and "'X'" in r.reason_en


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    division=st.sampled_from(CQ_DIVISIONS),
    auth_type=st.sampled_from(AUTH_TYPES),
)
def test_generated_codes_validate(seed, division, auth_type):
    code = generate_uscc(division, random.Random(seed), authority=auth_type[0], org_type=auth_type[1])
    r = validate_uscc(code)
    assert r.valid, (code, r.reason_zh)
    assert r.division_code == division
    assert (r.authority_code, r.org_type_code) == auth_type


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    division=st.sampled_from(CQ_DIVISIONS),
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(CHARSET),
)
def test_any_single_character_change_is_rejected(seed, division, position, replacement):
    code = generate_uscc(division, random.Random(seed))
    if code[position] == replacement:
        replacement = CHARSET[(CHARSET.index(replacement) + 1) % len(CHARSET)]
    mutated = code[:position] + replacement + code[position + 1 :]
    assert mutated != code
    assert not validate_uscc(mutated).valid


def test_generate_rejects_bad_arguments():
    with pytest.raises(ValueError):
        generate_uscc("5001", random.Random(0))
    with pytest.raises(ValueError):
        generate_uscc("500103", random.Random(0), authority="9", org_type="9")

"""客户经理 contact: a product carries its account manager (name, phone, branch), shown on the market card
and the product page to enterprises (not to other institutions); after 揭榜 the enterprise sees the
claiming institution's contact as its next step, and the claiming institution sees the demand's contact."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jinfu.core.errors import ValidationFailed
from jinfu.financing import services
from tests.factories import make_product


@pytest.fixture
def bank(make_user, reference_data):
    return make_user("institution", display_name="王经理", phone="138 0000 1111")


@pytest.fixture
def ent(make_user, reference_data):
    return make_user("enterprise", display_name="李会计", phone="139 2222 3333")


def test_product_manager_on_the_card_and_the_product_page(client, ent, bank, make_user):
    product = make_product(
        bank, manager_name="张敏", manager_phone="023-6388 1234", manager_branch="渝中区解放碑支行"
    )
    client.force_login(ent)
    for url in ("/financing/", f"/financing/products/{product.pk}/"):
        body = client.get(url).content.decode()
        assert "data-manager" in body and "客户经理 张敏" in body and "023-6388 1234" in body
        assert "渝中区解放碑支行" in body
    client.force_login(make_user("institution"))  # a competitor does not collect another bank's managers
    for url in ("/financing/", f"/financing/products/{product.pk}/"):
        assert "张敏" not in client.get(url).content.decode()
    client.force_login(bank)  # its own institution sees it on the product page
    assert "张敏" in client.get(f"/financing/products/{product.pk}/").content.decode()


def test_product_without_a_manager_shows_no_manager_line(client, ent, bank):
    product = make_product(bank)
    client.force_login(ent)
    body = client.get(f"/financing/products/{product.pk}/").content.decode()
    assert "data-manager" not in body and "客户经理" not in body


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"manager_name": "张敏", "manager_phone": "call me"}, "manager_phone"),
        ({"manager_name": "张敏"}, "manager_phone"),
        ({"manager_phone": "023-63881234"}, "manager_name"),
    ],
)
def test_manager_contact_is_checked(bank, fields, field):
    with pytest.raises(ValidationFailed) as exc:
        make_product(bank, **fields)
    assert exc.value.field == field


def test_product_form_saves_the_manager(client, bank):
    from tests.factories import product_data

    client.force_login(bank)
    data = product_data(manager_name="张敏", manager_phone="023-6388 1234", manager_branch="解放碑支行")
    data = {k: v for k, v in data.items() if v not in ([], None)}
    r = client.post(reverse("financing:product-new"), data)
    assert r.status_code == 302
    product = services.Product.objects.get()
    assert (product.manager_name, product.manager_phone, product.manager_branch) == (
        "张敏",
        "023-6388 1234",
        "解放碑支行",
    )
    page = client.get(reverse("financing:product-edit", args=[product.pk])).content.decode()
    assert 'for="p-mgr-name"' in page and 'value="张敏"' in page


def test_after_claim_each_side_sees_the_others_contact(client, ent, bank, make_user):
    client.force_login(ent)
    form = client.get(reverse("financing:demands")).content.decode()
    assert 'value="李会计"' in form and 'value="139 2222 3333"' in form  # prefilled from the account
    r = client.post(
        reverse("financing:demands"),
        {"amount": "80", "term_months": "12", "purpose": "采购原材料", "urgency": "normal",
         "contact_name": "李会计", "contact_phone": "139 2222 3333"},
    )  # fmt: skip
    assert r.status_code == 302
    demand = services.Demand.objects.get()

    other_bank = make_user("institution")
    client.force_login(other_bank)  # before any claim: no institution sees the contact
    assert "139 2222 3333" not in client.get(reverse("financing:hall")).content.decode()

    services.claim_demand(bank, demand.pk)
    client.force_login(bank)
    hall = client.get(reverse("financing:hall")).content.decode()
    assert 'data-next-step="contact-enterprise"' in hall and "李会计" in hall and "139 2222 3333" in hall
    client.force_login(other_bank)
    assert "139 2222 3333" not in client.get(reverse("financing:hall")).content.decode()

    client.force_login(ent)
    page = client.get(reverse("financing:demands")).content.decode()
    assert 'data-next-step="contact-institution"' in page
    assert "王经理" in page and "138 0000 1111" in page


def test_a_bad_demand_phone_is_shown_next_to_its_field(client, ent):
    client.force_login(ent)
    r = client.post(
        reverse("financing:demands"),
        {
            "amount": "80",
            "term_months": "12",
            "purpose": "采购",
            "contact_name": "李",
            "contact_phone": "abc",
        },
    )
    body = r.content.decode()
    assert r.status_code == 422 and 'data-error-for="contact_phone"' in body and 'value="abc"' in body

"""The module contract: core discovers each installed module's menus, pages, API, demo, reference loaders and
command-line verbs from its AppConfig, and names no module itself."""

import pytest
from django.urls import reverse

from jinfu.api import api
from jinfu.cli import build_parser
from jinfu.core.apikeys import CORE_SCOPES, api_scopes, issue_key
from jinfu.core.modules import contracts, demo_steps, menu_for, reference_loaders, resolve

ROLES = ("enterprise", "institution", "government", "regulator", "admin")
KERNEL = ("core", "batch", "scheduler")  # installed apps with a contract that are the platform itself


def modules() -> list[str]:
    """Every installed module: the apps declaring a contract, less the kernel's own."""
    return [label for label, _c in contracts() if label not in KERNEL]


def test_the_modules_are_found_from_the_installed_apps():
    assert {"brain", "financing", "policy", "listing", "credit", "risk", "green"} <= set(modules())


def test_every_module_declares_a_contract_and_core_finds_it():
    found = dict(contracts())
    for label in modules():
        contract = found[label]
        assert contract.urls and contract.api_router and contract.menus and contract.demo
        assert reverse(contract.menus[0].url_name).startswith(f"/{contract.url_prefix}")


def test_every_module_router_is_mounted_under_its_prefix():
    paths = api.get_openapi_schema()["paths"]
    for _label, contract in contracts():
        if contract.api_router:
            assert any(p.startswith(f"/api/v1{contract.api_prefix}") for p in paths), contract.api_prefix


def test_demo_steps_and_reference_loaders_resolve_to_callables():
    steps = demo_steps()
    assert len(steps) == len(modules())
    assert all(callable(resolve(s)) for s in steps + reference_loaders())


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_item_of_a_role_opens_for_that_role(client, make_user, role):
    user = make_user(role)
    client.force_login(user)
    items = menu_for(role)
    assert items, role
    for url_name, _label in items:
        url = reverse(url_name)
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.status_code)


def test_module_verbs_reach_the_command_line():
    args = build_parser().parse_args(["brain", "import-actuals", "a.xlsx", "--user", "u", "--dry-run"])
    assert args.action == "import-actuals" and args.file == "a.xlsx" and args.dry_run


def test_api_key_scopes_come_from_the_module_contracts(db, make_user):
    """A module declares its scopes in its contract; core keeps only its own and offers the union."""
    declared = {scope for _l, c in contracts() for scope, _t in c.api_scopes}
    assert {"green:read", "green:write", "risk:read", "listing:write"} <= declared
    assert not any(s.split(":")[0] in modules() for s in CORE_SCOPES)
    assert set(api_scopes()) == set(CORE_SCOPES) | declared
    for label, contract in contracts():
        assert all(scope.startswith(f"{label}:") for scope, _t in contract.api_scopes), label
    key, _plain = issue_key(
        organization=make_user("institution").organization, name="k", scopes=["risk:read"]
    )
    assert key.scopes == ["risk:read"]


@pytest.mark.parametrize(
    ("role", "own", "shown"),
    [
        ("institution", False, True),
        ("admin", False, True),
        ("enterprise", True, True),
        ("enterprise", False, False),
    ]
    + [("government", False, False), ("regulator", False, False)],
)
def test_a_module_link_on_an_enterprise_page_follows_its_declaration(client, make_user, role, own, shown):
    """The credit profile link on an enterprise's page comes from credit's contract (OrgLink), not from core's
    template, and shows to the roles it names and to the enterprise itself."""
    ent = make_user("enterprise")
    reader = ent if own else make_user(role)
    client.force_login(reader)
    page = client.get(reverse("org-detail", args=[ent.organization_id])).content.decode()
    href = reverse("credit:enterprise_profile", args=[ent.organization_id])
    assert (f'href="{href}"' in page) is shown, (role, own)

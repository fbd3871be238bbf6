"""The Python client generated from the document (openapi-python-client), against the network.

A team that generates the client and calls the gateway gets typed models whose fields are
there, not ``Unset``, and typed errors.
"""
import importlib

import pytest

from tests import python_client
from tests.stack import new_uscc

HOME = "330106"


@pytest.fixture(scope="module")
def package():
    """The generated client package (made, or taken from its cache, and imported)."""
    return python_client.generated()


@pytest.fixture(scope="module")
def models(package):
    return importlib.import_module(f"{package.__name__}.models")


def client_of(package, base_url, token):
    return package.AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)


def operation(tag, name):
    return importlib.import_module(f"{python_client.PACKAGE}.api.{tag}.{name}")


def test_the_generated_python_client_registers_and_reads_an_enterprise_as_typed_models(
        api, token, agency_skeleton, package, models):
    admin = client_of(package, api.base_url, token("county_admin", HOME))
    uscc = new_uscc(HOME)

    body = models.EnterpriseRegistration(uscc=uscc, name="杭州生成客户端科技有限公司", region_code=HOME,
                                         industry_code="C39", employees=40, revenue=1200)
    registered = operation("enterprises", "register_enterprise").sync(client=admin, body=body)
    profile = operation("enterprises", "get_enterprise").sync(client=admin, uscc=uscc)

    assert isinstance(registered, models.Enterprise)
    assert isinstance(profile, models.Enterprise)
    assert (profile.uscc, profile.region_code, profile.size_class) == (uscc, HOME, models.SizeClass.SMALL)
    assert profile.name == "杭州生成客户端科技有限公司"


def test_the_generated_python_client_lists_agencies_and_gets_a_typed_error(
        api, token, agency_skeleton, package, models):
    admin = client_of(package, api.base_url, token("national_admin"))

    page = operation("agencies", "list_agencies").sync(client=admin, region_prefix=HOME,
                                                       level=models.AgencyLevel.COUNTY)
    missing = operation("enterprises", "get_enterprise").sync(client=admin, uscc=new_uscc(HOME))

    assert isinstance(page, models.AgencyPage)
    assert [agency.region_code for agency in page.items] == [HOME]
    assert page.items[0].service_areas and page.total == 1
    assert isinstance(missing, models.Error) and missing.error.code == models.ErrorCode.NOT_FOUND

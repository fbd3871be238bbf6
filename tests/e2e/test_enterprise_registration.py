"""The backbone's proving path, through HTTP only: register an SME, see its welcome notice."""

from tests.stack import registration, wait_for


def test_county_admin_registers_enterprise_which_sees_profile_and_welcome_notice(api, token, new_uscc):
    uscc = new_uscc("110105")
    admin = token("county_admin", "110105")

    created = api.post("/api/v1/enterprises", admin, json=registration(uscc))

    assert created.status_code == 201, created.text
    assert created.json()["uscc"] == uscc
    assert created.json()["city_code"] == "110100"
    me = token("enterprise", uscc)
    profile = api.get(f"/api/v1/enterprises/{uscc}", me)
    assert profile.status_code == 200
    assert profile.json()["name"] == "北京示例科技有限公司"
    inbox = wait_for(lambda: api.get("/api/v1/notifications", me).json()["items"])
    assert [notice["kind"] for notice in inbox] == ["welcome"]
    assert "北京示例科技有限公司" in inbox[0]["body"]

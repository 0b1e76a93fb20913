"""The header offers each role exactly the pages the permission matrix lets it use."""
import pytest

LINKS = {
    "导入 Import": {"case_officer", "administrator"},
    "线索受理 Intake": {"case_officer", "discipline_liaison"},
    "新建推荐 New nomination": {"case_officer"},
    "新建调整 New adjustment": {"case_officer", "discipline_liaison"},
    "工作日历 Calendar": {"administrator"},
    "审计 Audit": {"auditor", "administrator"},
    "权限 Permissions": {"auditor", "administrator"},
    "规则 Rules": {"case_officer", "inspector", "discipline_liaison", "committee_secretary", "auditor", "administrator"},
}


@pytest.mark.parametrize("role", ["case_officer", "inspector", "discipline_liaison", "committee_secretary", "auditor",
                                  "administrator"])
def test_header_links_follow_the_matrix(web, org, role):
    web.login(role)
    page = web.get("/cases").get_data(as_text=True)
    nav = page[page.index("<nav"):page.index("</nav>")]
    shown = {text for text in LINKS if text in nav}
    assert shown == {text for text, roles in LINKS.items() if role in roles}

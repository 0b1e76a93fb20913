"""The header offers each role exactly the pages the permission matrix lets it use, in the reader's language."""
import pytest

# English link text, its Chinese, and the roles that see it.
LINKS = {
    "Import": ("导入", {"case_officer", "administrator"}),
    "Intake": ("线索受理", {"case_officer", "discipline_liaison"}),
    "New nomination": ("新建推荐", {"case_officer"}),
    "New adjustment": ("新建调整", {"case_officer", "discipline_liaison"}),
    "Calendar": ("工作日历", {"administrator"}),
    "Audit": ("审计", {"auditor", "administrator"}),
    "Permissions": ("权限", {"auditor", "administrator"}),
    "Rules": ("规则", {"case_officer", "inspector", "discipline_liaison", "committee_secretary", "auditor", "administrator"}),
}


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("role", ["case_officer", "inspector", "discipline_liaison", "committee_secretary", "auditor",
                                  "administrator"])
def test_header_links_follow_the_matrix(web, org, role, language):
    web.speak(language).login(role)
    page = web.get("/cases").get_data(as_text=True)
    nav = page[page.index("<nav"):page.index("</nav>")]
    names = {en: (en if language == "en" else zh) for en, (zh, _roles) in LINKS.items()}
    shown = {en for en, name in names.items() if f">{name}</a>" in nav}
    assert shown == {en for en, (_zh, roles) in LINKS.items() if role in roles}
    other = {en: zh for en, (zh, _roles) in LINKS.items()} if language == "en" else {en: en for en in LINKS}
    assert not any(f">{name}</a>" in nav for name in other.values())  # one language only

"""What a person does in the browser, shared by the end-to-end tests of both tracks."""
from playwright.sync_api import expect

PASSWORD = "test-pass-123"
ROLE_NAMES = {
    "case_officer": "干部工作人员 Case officer",
    "inspector": "考察组成员 Inspection team member",
    "discipline_liaison": "纪检联络人 Discipline liaison",
    "committee_secretary": "党委秘书 Committee secretary",
}


def sign_in(page, username):
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="登录 Sign in").click()
    expect(page.locator("header .who")).to_contain_text(ROLE_NAMES[username])
    expect(page.get_by_role("heading", name="案件 Cases")).to_be_visible()


def sign_out(page):
    page.get_by_role("button", name="退出 Sign out").click()
    expect(page.locator(".flash")).to_have_text("You have signed out. 已退出登录。")
    expect(page.get_by_role("heading", name="登录 Sign in")).to_be_visible()


def open_case(page, reference):
    """From the case list, follow the case's reference."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="案件 Cases").click()
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.locator(".case-head h1")).to_contain_text(reference)


def case_facts(page):
    """The "案件 Case" card of the case page."""
    return page.locator("section.card").filter(has=page.get_by_role("heading", name="案件 Case", exact=True))


def action(page, trigger):
    """The action's panel, unfolded (a click on its summary unless it is open already)."""
    panel = page.locator(f"#act-{trigger}")
    expect(panel).to_be_visible()
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(panel).to_have_attribute("open", "")
    return panel


def submit(panel):
    panel.locator("form").get_by_role("button").click()


def expect_state(page, label):
    expect(page.locator(".case-head .state")).to_have_text(label)


def expect_recorded(page, step_label):
    expect(page.locator(".flash.success")).to_have_text(f"Recorded: {step_label}. 已记录。")

"""Page helpers of the browser tests: open, submit a form (mistakes included), and inspect a page.

``inspect_page`` runs axe-core, looks for chart texts written over one another, photographs the page at 1280 and
390 px wide into test-artifacts/pages/ and reports any sideways scrolling at 390 px.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, Response, expect

from server.core.config import REPO_ROOT
from tests.browsing import assert_french_page, collect_forms, horizontal_overflow, serious_violations

PAGES = REPO_ROOT / "test-artifacts" / "pages"
WIDE, NARROW = 1280, 390
WRONG_ID = 999999


def go(page: Page, url: str, status: int | tuple[int, ...] = 200) -> Response:
    """Open ``url`` and check it is the expected French page (its forms noted)."""
    response = page.goto(url)
    assert response is not None
    assert_french_page(page, response, status=status)
    collect_forms(page)
    return response


def submit(
    page: Page,
    button: Locator,
    *,
    status: int | tuple[int, ...] = 200,
    fill: dict[str, str] | None = None,
    empty: bool = False,
    too_long: dict[str, int] | None = None,
    wrong_id: bool = False,
) -> Response:
    """Fill and submit the form of ``button``, mistakes included on demand, and check the page that results.

    ``empty`` turns the browser's own checks off (``novalidate``) so that the server's answer is what is tested;
    ``too_long`` writes past each field's ``maxlength``; ``wrong_id`` makes the form post about a request or entry
    that does not exist.
    """
    form = button.locator("xpath=ancestor::form[1]")
    if button.get_attribute("form"):
        form = page.locator(f"form#{button.get_attribute('form')}")
    for label, value in (fill or {}).items():
        field = page.locator(label) if label.startswith("#") else page.get_by_label(label, exact=True)
        field.fill(value)
    form.evaluate(
        """(f, [empty, tooLong, wrongId, wrong]) => {
            if (empty) f.noValidate = true;
            for (const [name, n] of Object.entries(tooLong)) {
                const el = f.elements[name];
                el.removeAttribute("maxlength");
                el.value = "é".repeat(n);
            }
            const action = f.getAttribute("action");
            if (wrongId) f.setAttribute("action", action.replace(/\\/\\d+(?=\\/|$)/, "/" + wrong));
        }""",
        [empty or bool(too_long), too_long or {}, wrong_id, WRONG_ID],
    )
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    assert_french_page(page, response, status=status)
    collect_forms(page)
    if response.status >= 400:
        expect(page.get_by_role("alert").first).to_be_visible()
    return response


def flash(page: Page, text: str) -> None:
    """The one-time message shown after a form (role=status) says ``text``."""
    expect(page.get_by_role("status").filter(has_text=text).first).to_be_visible()


# Pairs of texts (or a text and a legend square) of one chart whose boxes intersect.
_OVERLAPS_JS = """() => [...document.querySelectorAll("svg")].flatMap((svg) => {
  const swatch = (r) => r.width <= 12 && r.height <= 12;  // a legend's coloured square
  const boxes = [...svg.querySelectorAll("text, rect")]
    .map((e) => [e.textContent || "■", e.getBoundingClientRect(), e.tagName])
    .filter(([, r, tag]) => tag === "text" || swatch(r));
  const out = [];
  boxes.forEach(([a, p, s], i) => boxes.slice(i + 1).forEach(([b, q, t]) => {
    if (s === "rect" && t === "rect") return;
    const apart = p.right - 1 <= q.left || q.right - 1 <= p.left || p.bottom - 1 <= q.top || q.bottom - 1 <= p.top;
    if (!apart) out.push(`${a} / ${b}`);
  }));
  return out;
})"""


def photograph(page: Page, path: Path) -> None:
    """The whole page, or its first 12,000 × 4,000 px (Chromium cannot capture a larger image)."""
    width, height = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]")
    clip = {"x": 0, "y": 0, "width": min(width, 4_000), "height": min(height, 12_000)}
    page.screenshot(path=path, full_page=True, clip=clip)  # type: ignore[arg-type]  # Playwright's Clip TypedDict


def inspect_page(page: Page, shot: str) -> list[str]:
    """axe, both screenshots, no sideways scrolling at 1280 or 390 px: the problems found (empty if none)."""
    PAGES.mkdir(parents=True, exist_ok=True)
    problems = [f"{page.url} : axe {v}" for v in serious_violations(page)]
    problems += [f"{page.url} : textes superposés dans un graphique : {pair}" for pair in page.evaluate(_OVERLAPS_JS)]
    for toggle in page.locator("summary, button[type=button]").all():
        if toggle.is_visible():
            toggle.click()
    photograph(page, PAGES / f"{shot}-{WIDE}.png")
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{page.url} : défilement horizontal de {overflow} px à {WIDE} px")
    page.set_viewport_size({"width": NARROW, "height": 844})
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{page.url} : défilement horizontal de {overflow} px à {NARROW} px")
    photograph(page, PAGES / f"{shot}-{NARROW}.png")
    page.set_viewport_size({"width": WIDE, "height": 900})
    return problems

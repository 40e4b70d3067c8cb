"""axe-core's WCAG 2.1 A/AA rules run in a Playwright page; the vendored file is test-only (vendor/README.md)."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def new_axe_context(browser, viewport, live_server_url, *, mobile: bool):
    """A context that may inject axe: the app's CSP (script-src 'self') refuses an injected script, so this context
    alone bypasses CSP; the pages themselves are served and checked unchanged."""
    context = browser.new_context(
        viewport=viewport,
        base_url=live_server_url,
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=1,
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    return context


def axe_violations(page) -> list[str]:
    """One readable line per failing node: rule id, impact, target selector and the start of its HTML."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_21_AA,
    )
    return [
        f"{violation['id']} ({violation['impact']}) {' '.join(map(str, node['target']))}: {node['html'][:120]}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]

"""The report's section on what people set by hand: each owner's budget, what was assigned and
what is left, and every assignment and lock with who and why (base scenario)."""

from __future__ import annotations

from allocator.escape import html as esc
from allocator.pipeline.run import RunResult


def people_section(result: RunResult) -> str:
    """Budgets, assignments and locks of the base run; '' when there are none."""
    products = result.variants[0].products
    manual = result.scenario.manual
    budgets = [(p.product, b) for p in products for b in p.budgets]
    if not budgets and not manual.assignments and not manual.locks:
        return ""
    rows = "".join(
        f"<tr><td>{esc(pid)}</td><td>{esc(b.owner)}</td><td>{esc(b.segment or '')}</td>"
        f"<td class='n'>{b.units:,}</td><td class='n'>{b.assigned:,}</td><td class='n'>{b.clients:,}</td>"
        f"<td class='n'>{b.left:,}</td><td>{'released to the policy' if b.released else 'kept'}</td></tr>"
        for pid, b in budgets
    )
    parts = [
        '<section id="people"><h2>Managers’ budgets, assignments and locks</h2>',
        '<div class="scroll"><table class="summary"><caption>Budgets</caption><thead><tr>'
        + "".join(
            f'<th scope="col"{" class=n" if h in ("budget", "assigned", "clients", "left") else ""}>{h}</th>'
            for h in ("product", "owner", "segment", "budget", "assigned", "clients", "left", "what is left")
        )
        + f"</tr></thead><tbody>{rows}</tbody></table></div>",
    ]
    if manual.assignments:
        cells = "".join(
            f"<tr><td>{esc(a.product)}</td><td>{esc(a.owner)}</td><td>{esc(a.client_id)}</td>"
            f"<td class='n'>{a.units:,}</td><td>{esc(a.reason)}</td></tr>"
            for a in manual.assignments
        )
        parts.append(
            f'<div class="scroll"><table class="summary"><caption>Assignments ({len(manual.assignments)}, '
            f"{esc(manual.assignments_file or '')})</caption><thead><tr><th scope='col'>product</th>"
            "<th scope='col'>owner</th><th scope='col'>client</th><th scope='col' class='n'>units</th>"
            f"<th scope='col'>reason</th></tr></thead><tbody>{cells}</tbody></table></div>"
        )
    if manual.locks:
        cells = "".join(
            f"<tr><td>{esc(lk.product)}</td><td>{esc(lk.client_id)}</td><td class='n'>{lk.quota:,}</td>"
            f"<td>{esc(lk.by)}</td><td>{esc(lk.reason)}</td></tr>"
            for lk in manual.locks
        )
        parts.append(
            f'<div class="scroll"><table class="summary"><caption>Locks ({len(manual.locks)}, '
            f"{esc(manual.locks_file or '')})</caption><thead><tr><th scope='col'>product</th>"
            "<th scope='col'>client</th><th scope='col' class='n'>quota</th><th scope='col'>by</th>"
            f"<th scope='col'>reason</th></tr></thead><tbody>{cells}</tbody></table></div>"
        )
    return "".join(parts) + "</section>"

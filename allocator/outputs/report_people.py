"""The report's section on what people set by hand: each owner's budget, what was assigned and
what is left, and every assignment and lock with who and why (base scenario)."""

from __future__ import annotations

from collections.abc import Callable

from allocator.escape import html as esc
from allocator.labels import words
from allocator.pipeline.run import RunResult


def people_section(result: RunResult) -> str:
    """Budgets, assignments and locks of the base run; '' when there are none."""
    products = result.variants[0].products
    manual = result.scenario.manual
    budgets = [(p.product, b) for p in products for b in p.budgets]
    if not budgets and not manual.assignments and not manual.locks:
        return ""
    w = words(result.scenario.spec.lang)
    rows = "".join(
        f"<tr><td>{esc(pid)}</td><td>{esc(b.owner)}</td><td>{esc(b.segment or '')}</td>"
        f"<td class='n'>{b.units:,}</td><td class='n'>{b.assigned:,}</td><td class='n'>{b.clients:,}</td>"
        f"<td class='n'>{b.left:,}</td><td>{w('released to the policy' if b.released else 'kept')}</td></tr>"
        for pid, b in budgets
    )
    parts = [
        f'<section id="people"><h2>{w("Managers’ budgets, assignments and locks")}</h2>',
        f'<div class="scroll"><table class="summary"><caption>{w("Budgets")}</caption><thead><tr>'
        + "".join(
            f'<th scope="col"{" class=n" if h in ("budget", "assigned", "clients", "left") else ""}>{w(h)}</th>'
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
        caption = w("Assignments ({n}, {file})", n=len(manual.assignments), file=esc(manual.assignments_file or ""))
        parts.append(
            f'<div class="scroll"><table class="summary"><caption>{caption}</caption><thead><tr>'
            + _heads(w, ("product", "owner", "client", "units", "reason"), "units")
            + f"</tr></thead><tbody>{cells}</tbody></table></div>"
        )
    if manual.locks:
        cells = "".join(
            f"<tr><td>{esc(lk.product)}</td><td>{esc(lk.client_id)}</td><td class='n'>{lk.quota:,}</td>"
            f"<td>{esc(lk.by)}</td><td>{esc(lk.reason)}</td></tr>"
            for lk in manual.locks
        )
        caption = w("Locks ({n}, {file})", n=len(manual.locks), file=esc(manual.locks_file or ""))
        parts.append(
            f'<div class="scroll"><table class="summary"><caption>{caption}</caption><thead><tr>'
            + _heads(w, ("product", "client", "quota", "by", "reason"), "quota")
            + f"</tr></thead><tbody>{cells}</tbody></table></div>"
        )
    return "".join(parts) + "</section>"


def _heads(w: Callable[..., str], heads: tuple[str, ...], number: str) -> str:
    """Column heads in the report's language; the `number` column right-aligned."""
    cls = " class='n'"
    return "".join(f"<th scope='col'{cls if h == number else ''}>{w(h)}</th>" for h in heads)

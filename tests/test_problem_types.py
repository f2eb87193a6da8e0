"""Every problem type the code raises is in the catalogue, and the README publishes the catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

from services.common.problem_types import BY_SLUG, CATALOGUE, default_slug

ROOT = Path(__file__).resolve().parents[1]
# The functions that answer with a problem: (index of the status argument or its fixed status, index of the slug).
RAISERS: dict[str, tuple[int | None, int | None, int | None]] = {
    "ProblemError": (0, None, 2),
    "problem_response": (0, None, None),
    "conflict": (None, 409, 1),
    "unprocessable": (None, 422, 2),
    "not_found": (None, 404, None),
}


def _raised() -> dict[str, set[str]]:
    """Each slug the services' code names, literally or by its status's default, with where."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in RAISERS:
                continue
            status_index, fixed_status, slug_index = RAISERS[name]
            status = fixed_status
            if status_index is not None and len(node.args) > status_index:
                argument = node.args[status_index]
                status = argument.value if isinstance(argument, ast.Constant) else None
            slug_node = next((k.value for k in node.keywords if k.arg == "slug"), None)
            if slug_node is None and slug_index is not None and len(node.args) > slug_index:
                slug_node = node.args[slug_index]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(slug_node, ast.Constant) and isinstance(slug_node.value, str):
                found.setdefault(slug_node.value, set()).add(where)
            elif slug_node is None and isinstance(status, int):
                found.setdefault(default_slug(status), set()).add(where)
            else:
                # A slug passed through (``slug=exc.slug``, ``slug=slug``) was checked where it was written;
                # an expression picking between literals names them.
                # ``getattr(exc, "slug", None)`` names an attribute, not a slug.
                attribute_names = {
                    id(call.args[1])
                    for call in (ast.walk(slug_node) if slug_node is not None else ())
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "getattr" and len(call.args) > 1
                }
                for constant in ast.walk(slug_node) if slug_node is not None else ():
                    if id(constant) in attribute_names:
                        continue
                    if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                        found.setdefault(constant.value, set()).add(where)
    return found


def test_every_problem_type_the_code_raises_is_in_the_catalogue() -> None:
    raised = _raised()
    assert {"not-found", "over-disbursement", "validation-error", "internal-error"} <= set(raised)
    unknown = {slug: sorted(where) for slug, where in raised.items() if slug not in BY_SLUG}
    assert not unknown, f"add these to services/common/problem_types.py: {unknown}"


def test_the_catalogue_names_each_type_once_with_a_meaning() -> None:
    assert len(BY_SLUG) == len(CATALOGUE)
    assert all(p.meaning and 400 <= p.status < 600 for p in CATALOGUE)


def test_the_readme_publishes_the_catalogue() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for problem in CATALOGUE:
        assert f"| `{problem.uri}` | {problem.status} |" in readme, f"{problem.uri} is missing from the README"

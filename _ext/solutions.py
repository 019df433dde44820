"""Build the book without the exercises' solutions, for courses that set them as homework:
``IDEMLAB_SOLUTIONS=hide`` (``make book-without-solutions``). A solution is an admonition whose
title begins "Solution", or a notebook cell tagged ``solution`` (its checks still run in the build)."""
from __future__ import annotations

import os

from docutils import nodes

SWITCH = "IDEMLAB_SOLUTIONS"


def is_solution(node: nodes.Element) -> bool:
    """Return whether a node of a page is a worked solution."""
    if isinstance(node, nodes.admonition) and node.children and isinstance(node[0], nodes.title):
        return node[0].astext().startswith("Solution")
    return isinstance(node, nodes.container) and "tag_solution" in node.get("classes", [])


def remove_solutions(document: nodes.document) -> int:
    """Remove every solution from a page's doctree; return how many there were."""
    found = [node for node in document.findall(nodes.Element) if is_solution(node)]
    for node in found:
        node.parent.remove(node)
    return len(found)


def on_doctree_read(app, document: nodes.document) -> None:
    if os.environ.get(SWITCH) == "hide":
        remove_solutions(document)


def setup(app) -> dict:
    app.connect("doctree-read", on_doctree_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

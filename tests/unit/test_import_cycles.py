"""No module of erpsync imports itself back through other modules.

pyproject's acyclic_siblings contract finds cycles between the children of each package; it does
not see a cycle between a package's ``__init__`` and its own children (``erpsync.x`` imports
``erpsync.x.a``, which imports a name from ``erpsync.x``). This test checks the whole module graph,
``if TYPE_CHECKING:`` imports included, and names every cycle it finds.
"""

from __future__ import annotations

import grimp

PACKAGE = "erpsync"


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of two or more modules (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            step = next(imported, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return sorted(found)


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_the_cycle_finder_sees_sibling_and_package_cycles() -> None:
    graph = _graph(("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("q", "q.x"), ("q.x", "q"), ("r", "r.y"))
    assert cycles(graph) == [["p.a", "p.b", "p.c"], ["q", "q.x"]]


def test_erpsync_has_no_import_cycles() -> None:
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    found = cycles(graph)
    assert not found, "import cycles (each line: the modules that import one another):\n" + "\n".join(
        "  " + " <-> ".join(group) for group in found
    )

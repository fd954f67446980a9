"""The house's layout, read from the source: `pressroom/` holds the project files and one folder per app,
no module imports itself back through others (module-level and function-level imports alike), and
imports between the apps run one way, from the specialised apps down to the newsroom and ops.

Run as a script (`python -m tests.pressroom.test_imports`) it prints the graph's layers.
"""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PACKAGES = ("pressroom", "subscriptions")
PROJECT_FILES = {"__init__.py", "settings.py", "urls.py", "celery.py", "wsgi.py", "embedded.py", "locale"}
PROJECT_MODULES = {f"pressroom.{name[:-3]}" for name in PROJECT_FILES if name.endswith(".py")} | {"pressroom"}

# Which apps each app may import. Nothing imports the project (settings, URLs, Celery app, WSGI).
ALLOWED = {
    "ops": set(),
    "newsroom": {"ops"},
    "subscriptions": {"newsroom", "ops"},
    "api": {"newsroom", "ops"},
    "analytics": {"newsroom", "subscriptions", "ops"},
    "press": {"newsroom", "subscriptions", "analytics", "ops"},
    "portability": {"newsroom", "subscriptions", "press", "analytics", "ops"},
    "demo": {"newsroom", "subscriptions", "press", "ops"},
    "sso": {"ops"},
    # The editors' workspace (roles, audit log) sits over the apps whose actions it records.
    "workspace": {"newsroom", "subscriptions", "press", "api", "analytics", "portability", "ops"},
    "dashboard": {"newsroom", "subscriptions", "press", "analytics", "api", "ops"},
}


def modules():
    """{dotted name: path} of every module of ours, migrations left out (they are generated)."""
    found = {}
    for package in PACKAGES:
        for path in (BASE_DIR / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(BASE_DIR).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(name, path, known):
    """The modules of ours that NAME imports anywhere in its code (inside functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # `import pressroom.newsroom.models` names the module; `from x import Class` names x.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph():
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def app_of(module):
    if module in PROJECT_MODULES:
        return None
    parts = module.split(".")
    return parts[0] if parts[0] == "subscriptions" else parts[1]


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_loop_through_a_function_level_import(tmp_path):
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n")
    known = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    edges = {name: imports(name, path, known) for name, path in known.items()}
    assert cycles(edges) == [["a", "b"]]


def test_imports_between_apps_run_one_way():
    wrong = []
    for module, targets in graph().items():
        source = app_of(module)
        for target in targets:
            if source is None:
                continue  # the project may import any app
            destination = app_of(target)
            if destination is None:
                wrong.append(f"{module} -> {target} (an app importing the project)")
            elif destination != source and destination not in ALLOWED[source]:
                wrong.append(f"{module} -> {target} ({source} may not import {destination})")
    assert wrong == []


def test_every_app_is_in_the_rules_and_installed():
    from django.conf import settings

    apps = {app_of(module) for module in modules()} - {None}
    assert apps == set(ALLOWED)
    # An entry may name an app's AppConfig (the workspace's admin): counted as its app.
    installed = {app_of(name) for name in settings.INSTALLED_APPS if name.split(".")[0] in PACKAGES}
    assert installed == apps


def test_the_project_package_holds_only_project_files_and_apps():
    entries = {path.name for path in (BASE_DIR / "pressroom").iterdir() if path.name != "__pycache__"}
    apps = {name for name in entries if (BASE_DIR / "pressroom" / name / "apps.py").exists()}
    assert entries - apps == PROJECT_FILES


@pytest.mark.parametrize("name", ["utils", "helpers", "misc", "common"])
def test_no_catch_all_module(name):
    assert not [path for path in modules().values() if path.stem == name]


if __name__ == "__main__":
    for module, targets in sorted(graph().items()):
        print(module, "->", ", ".join(sorted(targets)) or "-")

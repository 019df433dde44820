"""The book's notebooks as Colab opens them: one install cell, the same in every chapter, that
installs from the repository ``_config.yml`` names (the one place the URL is set)."""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def repository_url() -> str:
    (url,) = re.findall(r"^repository:\n\s+url:\s*(\S+)", (ROOT / "_config.yml").read_text(), re.M)
    return url


def install_cell(notebook: Path) -> dict:
    return json.loads(notebook.read_text())["cells"][1]


def test_every_chapter_has_the_same_install_cell_hidden_from_the_site():
    cells = [install_cell(notebook) for notebook in NOTEBOOKS]
    assert len(NOTEBOOKS) == 13
    assert all(cell["cell_type"] == "code" and "remove-cell" in cell["metadata"].get("tags", []) for cell in cells)
    assert len({"".join(cell["source"]) for cell in cells}) == 1


def test_the_install_cell_and_the_readme_use_the_books_repository():
    url = repository_url()
    assert f'REPOSITORY = "{url}"' in "".join(install_cell(NOTEBOOKS[0])["source"])
    assert f"git+{url}" in (ROOT / "README.md").read_text()


def test_every_notebook_is_a_valid_notebook_listed_in_the_table_of_contents():
    import nbformat

    toc = (ROOT / "_toc.yml").read_text()
    for notebook in NOTEBOOKS:
        nbformat.validate(nbformat.read(notebook, as_version=4))
        assert f"file: notebooks/{notebook.stem}\n" in toc


def test_mathjax_is_served_once_from_the_site_root_not_from_static():
    """Jupyter Book loads every .js file under _static on every page, so MathJax (fetched by
    `make book`) lives in an html_extra_path folder, and mathjax_path (relative to _static) finds it."""
    config = (ROOT / "_config.yml").read_text()
    (extra,) = re.findall(r'html_extra_path: \["(\w+)"\]', config)
    (mathjax_path,) = re.findall(r"mathjax_path: (\S+)", config)
    (target,) = re.findall(r"^MATHJAX_JS := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert target == f"{extra}/{mathjax_path.removeprefix('../')}"
    assert not list((ROOT / "_static").rglob("*.js"))


PAGES = NOTEBOOKS + sorted((ROOT / "book").glob("*.md"))
# words of a lab diary, not of a lesson: how decisions were taken belongs in the appendix's table
# and the repository's records (experiments/, training/), not in the chapters
DIARY = re.compile(r"\b((first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(st|nd|rd|th)) rules?"
                   r"|candidates?|adopted|issues?|lent)\b|\(was \d", re.IGNORECASE)


def prose(page: Path) -> str:
    """The text a reader reads: a notebook's markdown cells, or a markdown page."""
    if page.suffix == ".md":
        return page.read_text()
    return "\n".join("".join(c["source"]) for c in json.loads(page.read_text())["cells"] if c["cell_type"] == "markdown")


def words(text: str) -> int:
    """Words of prose: a glued number or a cross-reference counts as one."""
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " N ", text)
    return len(re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+(?:[.,]\d+)*", text))


def test_chapter_11_reads_as_results_in_at_most_3000_words():
    assert words(prose(ROOT / "notebooks" / "11_results.ipynb")) <= 3000


def test_no_page_keeps_a_lab_diary():
    found = {page.name: DIARY.findall(prose(page)) for page in PAGES}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_switch_removes_every_solution_and_nothing_else(monkeypatch):
    import importlib.util

    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    spec = importlib.util.spec_from_file_location("solutions", ROOT / "_ext" / "solutions.py")
    solutions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solutions)
    page = new_document("page", get_default_settings(Parser))
    exercise = nodes.admonition("", nodes.title("", "Exercise 1"), nodes.paragraph("", "Prove it."))
    answer = nodes.admonition("", nodes.title("", "Solution 1"), nodes.paragraph("", "By induction."))
    check = nodes.container("", nodes.literal_block("", "assert True"), classes=["cell", "tag_hide-input", "tag_solution"])
    lesson = nodes.container("", nodes.literal_block("", "x = 1"), classes=["cell"])
    page += [exercise, answer, check, lesson]
    monkeypatch.delenv(solutions.SWITCH, raising=False)
    solutions.on_doctree_read(None, page)
    assert len(page.children) == 4  # the switch is off: the book keeps its solutions
    monkeypatch.setenv(solutions.SWITCH, "hide")
    solutions.on_doctree_read(None, page)
    assert page.children == [exercise, lesson]

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

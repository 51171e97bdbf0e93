"""Obsidian Bases drawn at build time (issue 29): the expression subset (a grammar, checked by
hypothesis against Python's own arithmetic and logic), the views a real vault's bases define
(kepano-obsidian's Categories/Books), every view option, warnings for what is unsupported, and
pages made again exactly when what their Base selects changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from htmldom import parse_html
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.bases.evaluate import Row
from site_builder.bases.expr import Unsupported, parse
from site_builder.bases.records import Record, Vault
from site_builder.pipeline.build import BASE_URL_WARNING, build_site
from site_builder.pipeline.options import BuildOptions
from site_builder.vault.links import LinkIndex

KEPANO = Path(__file__).resolve().parents[2] / "shared" / "vaults" / "kepano-obsidian"


def evaluate(text: str, props: dict | None = None) -> object:
    vault = Vault({"a.md": Record("a.md", "/a/", "a", props or {})}, {},
                  LinkIndex({}, {}, {}, {}))
    return Row(vault, vault.records["a.md"], None, {}).value(parse(text))


# -- the expression language -------------------------------------------------------------

ints = st.integers(-50, 50)


@st.composite
def arithmetic(draw, depth: int = 3) -> tuple[str, int]:
    """(Bases text, the value Python gives it) for + - * over small integers."""
    if depth == 0 or draw(st.booleans()):
        value = draw(ints)
        return (f"({value})" if value < 0 else str(value)), value
    op = draw(st.sampled_from("+-*"))
    (a, x), (b, y) = draw(arithmetic(depth - 1)), draw(arithmetic(depth - 1))
    return f"({a} {op} {b})", {"+": x + y, "-": x - y, "*": x * y}[op]


@st.composite
def logic(draw, depth: int = 3) -> tuple[str, bool]:
    """(Bases text, truth) for comparisons joined by && || and !."""
    if depth == 0 or draw(st.booleans()):
        (a, x), (b, y) = draw(arithmetic(1)), draw(arithmetic(1))
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        truth = {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y,
                 ">=": x >= y}[op]
        return f"{a} {op} {b}", truth
    kind = draw(st.sampled_from(["&&", "||", "!"]))
    a, x = draw(logic(depth - 1))
    if kind == "!":
        return f"!({a})", not x
    b, y = draw(logic(depth - 1))
    return f"({a}) {kind} ({b})", (x and y) if kind == "&&" else (x or y)


@given(arithmetic())
def test_arithmetic_is_pythons(case: tuple[str, int]) -> None:
    text, value = case
    assert evaluate(text) == value


@given(logic())
def test_and_or_not_and_comparisons_are_pythons(case: tuple[str, bool]) -> None:
    text, truth = case
    assert evaluate(text) is truth


@given(st.text(max_size=40))
def test_any_text_parses_or_is_unsupported_never_anything_else(text: str) -> None:
    try:
        parse(text)
    except Unsupported:
        pass


@settings(max_examples=60)
@given(st.dictionaries(st.sampled_from(["rating", "kind", "year"]),
                       st.one_of(st.none(), ints, st.text(max_size=5)), max_size=3),
       st.sampled_from(["rating > 3", 'kind.contains("a")', "year.isEmpty()",
                        'rating >= 2 && kind.startsWith("b")', "!rating", "rating * 2 < 10"]))
def test_a_filter_and_its_negation_split_every_note(props: dict, condition: str) -> None:
    """Whatever the data, ``X`` and ``!X`` never both hold and never both fail: a value
    a method does not fit is null (false), not an error."""
    assert bool(evaluate(condition, props)) != bool(evaluate(f"!({condition})", props))


def test_python_is_not_reachable() -> None:
    for text in ('__import__("os").system("true")', "open('x')", "now() > 1", "a = 1",
                 "lambda: 1", "x.__class__.__mro__()"):
        with pytest.raises(Unsupported):
            parse(text)
    # Attributes are looked up in the Base's own tables, never on Python objects.
    assert evaluate("name.__class__", {"name": "x"}) is None
    assert evaluate("file.__dict__") is None


def test_methods_functions_and_dates() -> None:
    props = {"tags": ("a", "b/c"), "name": "Brown tart", "price": 7, "uses": 4,
             "last": "2024-03-01", "when": "2024-02-20"}
    cases = {
        'tags.containsAny("x", "b/c")': True,
        'tags.containsAll("a", "x")': False,
        'name.startsWith("Brown") && name.lower().contains("tart")': True,
        "(price / uses).toFixed(2)": "1.75",
        "(price / uses).round(1)": 1.8,
        'if(price > 5, "dear", "cheap")': "dear",
        "list(name).length": 1,
        'date(last) - "10d" == date(when)': True,
        "(date(last) - date(when)).days": 10.0,
        'date(last).format("YYYY/MM")': "2024/03",
        "number(missing)": None,
        "missing.contains(1)": None,
        "[1, 2, 2].unique().length": 2,
        "[3, 1, 2].filter(value > 1).map(value * 10)": (30, 20),
        "not(empty(name))": True,
    }
    assert {text: evaluate(text, props) for text in cases} == cases


# -- a whole site --------------------------------------------------------------------------


def _rows(page: Path, view: int = 0) -> list[list[str]]:
    doc = parse_html(page.read_text("utf-8"))
    section = doc.select(".base-view")[view]
    return [[td.text for td in tr.select("td")] for tr in section.select("tbody tr")
            if "base-group" not in tr.classes]


@pytest.fixture(scope="module")
def kepano(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    if not KEPANO.is_dir():
        pytest.skip(f"{KEPANO} is not beside the checkout")
    project = tmp_path_factory.mktemp("kepano")
    shutil.copytree(KEPANO, project / "content")
    for path in (project / "content").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    # Unedited: the Bases sit in the templates folder (never published, embeds find them).
    result = build_site(BuildOptions(project_dir=project, search=False, allow_broken_links=True))
    return project, result


def test_kepano_books_lists_exactly_the_book_notes_its_base_selects(kepano) -> None:
    project, result = kepano
    expected = set()
    for path in (project / "content").rglob("*.md"):
        if "Templates" in path.parts:  # never published ({{placeholders}}, not YAML)
            continue
        front = path.read_text("utf-8").split("---")[1] if path.read_text().startswith("---") \
            else ""
        data = yaml.safe_load(front) or {}
        if "[[Books]]" in (data.get("categories") or []) and "Template" not in path.stem:
            expected.add(path.stem)
    assert expected == {"Out of Control", "The Machine Stops"}
    page = result.out_dir / "Categories" / "Books" / "index.html"
    doc = parse_html(page.read_text("utf-8"))
    views = doc.select(".base-view")
    assert [v.select(".base-view-title")[0].text for v in views] == \
        ["Books", "Top rated", "Author", "Genre"]
    assert [h.text for h in views[0].select("th")] == \
        ["Name", "Author", "length", "Year", "rating", "topics", "last"]
    rows = _rows(page)
    assert {r[0] for r in rows} == expected
    assert rows[0][:2] == ["Out of Control", "Kevin Kelly"]  # sorted by file.name
    author = views[0].select("tbody tr")[0].select("td")[1].select("a")[0]
    assert author.attrs["href"] == "/References/Kevin-Kelly/"  # a [[wiki link]] cell
    assert _rows(page, 2) == []  # list(author).contains(this): no book is by "Books"
    assert not (result.out_dir / "Templates" / "Bases" / "Books.base").exists()


def test_kepano_unsupported_expressions_are_warnings_naming_file_view_and_expression(kepano):
    _, result = kepano
    assert ("content/Templates/Bases/People.base: formula 'Age': unsupported expression "
            "'(now() - birthday).years.floor()' (now() would make the page depend on the time "
            "of the build); left out") in result.warnings
    assert ("content/Templates/Bases/Map.base: view 'Map': view type 'map' is shown as a "
            "table") in result.warnings


BASE = """
filters:
  and:
    - file.inFolder("shop")
    - '!file.name.contains("Draft")'
formulas:
  total: price * count
  shout: name.upper()
  mystery: price.frobnicate()
properties:
  note.price:
    displayName: Price (€)
views:
  - type: table
    name: By kind
    groupBy:
      property: kind
      direction: ASC
    order: [file.name, price, formula.total]
    sort:
      - property: price
        direction: DESC
    summaries:
      note.price: Sum
      formula.total: Average
  - type: table
    name: Cheapest two
    order: [file.name, price]
    sort:
      - property: price
        direction: ASC
    limit: 2
  - type: cards
    name: Linked here
    filters:
      and:
        - file.hasLink(this)
        - file.hasTag("food")
    order: [file.name, formula.shout]
"""


def _shop(project: Path) -> None:
    notes = {"shop/Apple.md": ("fruit", 3, 2, "[[Shop]]", "#food/raw"),
             "shop/Bread.md": ("bakery", 5, 1, "", "#food"),
             "shop/Cake.md": ("bakery", 9, 1, "[[Shop]]", "#food"),
             "shop/Draft plan.md": ("fruit", 1, 1, "[[Shop]]", ""),
             "elsewhere/Pear.md": ("fruit", 2, 1, "[[Shop]]", "#food")}
    for path, (kind, price, count, link, tag) in notes.items():
        file = project / "content" / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"---\nkind: {kind}\nprice: {price}\ncount: {count}\nname: {file.stem}"
                        f"\n---\nAbout {file.stem}. {link} {tag}\n")
    (project / "content" / "meta").mkdir()
    (project / "content" / "meta" / "Shop.base").write_text(BASE)
    (project / "content" / "Shop.md").write_text("# Shop\n\n![[Shop.base]]\n\n"
                                                  "Cheap: ![[Shop.base#Cheapest two]]\n")


def test_every_view_option_on_a_small_vault(tmp_path: Path) -> None:
    _shop(tmp_path)
    result = build_site(BuildOptions(project_dir=tmp_path, search=False))
    # (Properties Bases select by are not front matter keys of ours: issue 25's to quieten.)
    assert [w for w in result.warnings if "unknown front matter key" not in w] == [
        ("content/meta/Shop.base: formula 'mystery': unsupported expression "
         "'price.frobnicate()' (unknown method .frobnicate()); left out"), BASE_URL_WARNING]
    page = result.out_dir / "Shop" / "index.html"
    doc = parse_html(page.read_text("utf-8"))
    first = doc.select(".base")[0]
    assert [h.text for h in first.select(".base-view")[0].select("thead th")] == \
        ["Name", "Price (€)", "total"]
    groups = [g.text for g in first.select(".base-group th")]
    assert groups == ["bakery", "fruit"]
    assert _rows(page) == [["Cake", "9", "9"], ["Bread", "5", "5"], ["Apple", "3", "6"]]
    assert [td.text for td in first.select("tfoot td")] == ["", "Sum 17", "Average 6.67"]
    assert _rows(page, 1) == [["Apple", "3"], ["Bread", "5"]]
    cards = first.select(".base-view")[2].select(".base-card")
    assert [c.select(".base-card-title")[0].text for c in cards] == ["Apple", "Cake"]
    assert cards[0].select("dd")[0].text == "APPLE"
    # ![[Shop.base#Cheapest two]] shows that one view only.
    second = doc.select(".base")[1]
    assert [v.attrs["aria-label"] for v in second.select(".base-view")] == ["Cheapest two"]


def test_a_page_showing_a_base_is_made_again_when_a_selected_note_changes(tmp_path: Path):
    _shop(tmp_path)
    build_site(BuildOptions(project_dir=tmp_path, search=False))
    bread = tmp_path / "content" / "shop" / "Bread.md"
    bread.write_text(bread.read_text().replace("price: 5", "price: 1"))
    os.utime(bread, ns=(1, 1))  # an older mtime: the cache must look at the bytes
    edited = build_site(BuildOptions(project_dir=tmp_path, search=False))
    assert "Shop/index.html" in edited.written
    clean = build_site(BuildOptions(project_dir=tmp_path, out_dir=tmp_path / "clean",
                                    cache=False, search=False))
    for path in ("Shop/index.html", "shop/Bread/index.html"):
        assert (edited.out_dir / path).read_bytes() == (clean.out_dir / path).read_bytes()
    assert _rows(edited.out_dir / "Shop" / "index.html", 1) == [["Bread", "1"], ["Apple", "3"]]
    # A new note the filter selects appears; an unrelated edit leaves the page alone.
    (tmp_path / "content" / "shop" / "Dates.md").write_text("---\nkind: fruit\nprice: 0\n---\n")
    added = build_site(BuildOptions(project_dir=tmp_path, search=False))
    assert _rows(added.out_dir / "Shop" / "index.html", 1)[0] == ["Dates", "0"]
    (tmp_path / "content" / "elsewhere" / "Zed.md").write_text("Not about the shop.\n")
    other = build_site(BuildOptions(project_dir=tmp_path, search=False))
    assert "elsewhere/Zed/index.html" in other.written
    assert "Shop/index.html" not in other.written


def test_a_folder_intro_shows_a_base_on_its_section_page(tmp_path: Path) -> None:
    _shop(tmp_path)
    (tmp_path / "content" / "shop" / "_index.md").write_text("# The shop\n\n"
                                                             "![[Shop.base#Cheapest two]]\n")
    result = build_site(BuildOptions(project_dir=tmp_path, search=False))
    assert _rows(result.out_dir / "shop" / "index.html") == [["Apple", "3"], ["Bread", "5"]]
    assert "/assets/bases." in (result.out_dir / "shop" / "index.html").read_text()
    bread = tmp_path / "content" / "shop" / "Bread.md"
    bread.write_text(bread.read_text().replace("price: 5", "price: 2"))
    again = build_site(BuildOptions(project_dir=tmp_path, search=False))
    assert "shop/index.html" in again.written
    assert _rows(again.out_dir / "shop" / "index.html") == [["Bread", "2"], ["Apple", "3"]]


def test_a_base_file_is_a_page_of_its_own_and_links_lead_there(tmp_path: Path) -> None:
    _shop(tmp_path)
    (tmp_path / "content" / "About.md").write_text("See [[Shop.base|the whole shop]].\n")
    result = build_site(BuildOptions(project_dir=tmp_path, search=False))
    about = parse_html((result.out_dir / "About" / "index.html").read_text())
    assert [a.attrs["href"] for a in about.select("main .prose a")] == ["/meta/Shop/"]
    page = parse_html((result.out_dir / "meta" / "Shop" / "index.html").read_text())
    assert page.select("h1")[0].text == "Shop"
    assert [v.attrs["aria-label"] for v in page.select(".base-view")] == \
        ["By kind", "Cheapest two", "Linked here"]
    assert not (result.out_dir / "meta" / "Shop.base").exists()

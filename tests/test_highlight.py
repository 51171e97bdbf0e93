"""SharedHighlightExtension: pymdownx.highlight's HTML, with formatters and lexers made once."""

from __future__ import annotations

import uuid

import pymdownx.highlight as stock
import pytest

from site_builder.markdown import highlight
from site_builder.markdown.highlight import SharedHighlightExtension, rebind, shared_lexer
from site_builder.markdown.render import EXTENSION_CONFIGS, Renderer, markdown_extensions
from site_builder.vault.content import Content, Note
from site_builder.vault.links import build_index


def _stock_highlight(ext: object) -> object:
    return "pymdownx.highlight" if isinstance(ext, SharedHighlightExtension) else ext


SHARED = Renderer()
STOCK = Renderer(extensions=[_stock_highlight(e) for e in markdown_extensions()],
                 configs=EXTENSION_CONFIGS)


def render(renderer: Renderer, body: str) -> str:
    n = Note(source="n.md", display_path="content/n.md", title="T", url="/n/", section="",
             body=body, body_line=1)
    return renderer.render(n, build_index(Content((n,), (), (), ()))).html


CODE = [
    "```python\ndef f(x):\n    return x < 1 and '&'\n```\n",
    "```js\nconst a = `x ${y}`;\n```\n\n```bash\necho \"$HOME\" | grep -v x\n```\n",
    "```\nno language <b>\n```\n",
    "```nosuchlanguage\nplain & text\n```\n",
    "``` python hl_lines=\"1 3\"\na = 1\nb = 2\nc = 3\n```\n",
    "``` python title=\"setup.py\" linenums=\"2\"\nimport os\nprint(os.sep)\n```\n",
    "``` { .yaml #config }\nkey: value\n```\n",
    "```python\n```\n",
    "Text.\n\n    indented = code\n    more <code>\n\nAfter.\n",
    "!!! note \"Code inside\"\n    ```go\n    package main\n    ```\n",
    "- item\n\n    ```rust\n    fn main() {}\n    ```\n",
    "```mermaid\ngraph TD; A-->B\n```\n",
    "~~~sql\nSELECT 1 -- \"quoted\"\n~~~\n",
    "Inline `code <x>` and ```python\nnot a fence\n```",
]


@pytest.mark.parametrize("body", CODE)
def test_same_html_as_pymdownx_highlight(body: str) -> None:
    # Twice: the second render reuses the formatter and lexer the first one made.
    first, second = render(SHARED, body), render(SHARED, body)
    assert first == second == render(STOCK, body)


def test_highlighted_code_is_marked_up() -> None:
    html = render(SHARED, CODE[0])
    assert html.startswith('<div class="highlight" tabindex="0"><pre><span></span><code>')
    assert '<span class="k">def</span>' in html and "&lt;" in html and "&amp;" in html


def test_one_formatter_per_option_set(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict] = []
    original = stock.BlockHtmlFormatter.__init__

    def counting(self: object, **options: object) -> None:
        made.append(options)
        original(self, **options)

    monkeypatch.setattr(stock.BlockHtmlFormatter, "__init__", counting)
    title = uuid.uuid4().hex  # options no earlier test used: nothing shared yet
    body = "\n".join(f"``` {lang} title=\"{title}\"\nx = {i}\n```\n"
                     for i, lang in enumerate(["python", "python", "bash", "js", "python"]))
    html = render(SHARED, body)
    assert html.count('class="highlight"') == 5
    assert len(made) == 1 and made[0]["filename"] == title  # the stock extension makes 5
    other = f"``` python title=\"{title}\" hl_lines=\"1\"\nx = 1\n```\n"
    render(SHARED, other)
    assert len(made) == 2  # different options, another formatter


def test_lexers_looked_up_once_per_language(monkeypatch: pytest.MonkeyPatch) -> None:
    looked: list[str] = []
    original = highlight.get_lexer_by_name

    def counting(name: str, **options: object) -> object:
        looked.append(name)
        return original(name, **options)

    monkeypatch.setattr(highlight, "get_lexer_by_name", counting)
    monkeypatch.setattr(highlight, "_LEXERS", {})
    for _ in range(3):
        render(SHARED, "```python\nx = 1\n```\n\n```nosuchlanguage\ny\n```\n")
    assert sorted(looked) == ["nosuchlanguage", "python", "text"]
    assert shared_lexer("python", stripnl=True) is shared_lexer("python", stripnl=True)
    assert shared_lexer("python", stripnl=False) is not shared_lexer("python", stripnl=True)


def test_unknown_language_raises_every_time() -> None:
    from pygments.util import ClassNotFound

    for _ in range(2):
        with pytest.raises(ClassNotFound, match="nosuchlanguage"):
            shared_lexer("nosuchlanguage")


def test_rebind_keeps_a_function_that_does_not_read_the_names() -> None:
    def f() -> int:
        return len("x")

    assert rebind(f, get_lexer_by_name=None) is f
    assert rebind(f, len=lambda s: 7)() == 7
    assert f() == 1  # the original still reads the real builtin

"""The templates (``site_builder/site/page_maker.py``): a project's ``templates/`` override the
packaged ones by name, a broken template is a one-line error naming its file and line, and
every template a page pulls in is compiled before the page workers fork.
"""

from pathlib import Path

import jinja2
import pytest
from test_pages import SITE, build

from site_builder.core.errors import ContentError
from site_builder.site.page_maker import PageMaker, make_env


def test_project_templates_override_by_name(tmp_path: Path) -> None:
    files = dict(SITE)
    files["templates/404.html"] = "{% extends 'base.html' %}{% block content %}GONE{% endblock %}"
    out = build(tmp_path, files)
    assert "GONE" in (out / "404.html").read_text("utf-8")
    assert "<h1>Page not found</h1>" not in (out / "404.html").read_text("utf-8")


@pytest.mark.parametrize("jobs", [1, 2])  # 2: the templates are preloaded before the pool forks
def test_broken_override_template_names_file_and_line(tmp_path: Path, jobs: int) -> None:
    files = {"content/a.md": "x", "templates/note.html": "ok\n{% if %}\n"}
    with pytest.raises(ContentError) as exc:
        build(tmp_path, files, jobs=jobs)
    assert str(exc.value).startswith("templates/note.html:2: template error: ")


def test_preload_compiles_every_template_a_page_pulls_in(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    inner, loaded = env.loader, []

    class Counting(jinja2.BaseLoader):
        def get_source(self, environment, name):
            loaded.append(name)
            return inner.get_source(environment, name)

    env.loader = Counting()
    maker = PageMaker(env, tmp_path, {})
    maker.template_key("note.html")
    loaded.clear()
    maker.preload()
    assert sorted(loaded) == ["_macros.html", "base.html", "note.html"]
    assert {"_macros.html", "base.html", "note.html"} <= {name for _, name in env.cache}

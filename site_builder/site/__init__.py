"""Page assembly: the site's pages, templates, feeds, graph and assets.

``pages`` turns rendered notes into note, section and tag pages; ``page_maker`` is the Jinja2
environment (a project's ``templates/`` override the ones shipped in ``templates/``);
``feeds`` writes the Atom feed, sitemap and robots.txt; ``graph`` lays out the link graphs;
``assets`` minifies and content-hashes ``static/``; ``favicon`` makes the default icon.
"""

"""Our Markdown dialect: Python-Markdown with one module per Obsidian feature, and speed-ups.

``render`` is the entry point (one note in, HTML and what links and lists need out). Obsidian's
syntax: ``wikilinks``, ``embeds``, ``callouts``, ``comments``, ``blockids``, ``images``
(sizes), ``mathml``, registered together by ``obsidian``. Readers: ``reader`` (accessible
markup), ``highlight`` and ``highlight_theme`` (code colours). Speed-ups that keep the HTML
byte-identical: ``fastblock``, ``fastinline``, ``smartquotes``. ``safehtml``: escaping raw HTML.
"""

"""Full-text search made by Pagefind at build time (no server, nothing from a CDN).

``parts`` finds what of a page Pagefind indexes; ``pagefind`` runs the binary; ``shards``
splits the index into bundles so an edit re-runs Pagefind over a few hundred pages;
``index`` is the entry point (index a built site, or bring its index up to date).
"""

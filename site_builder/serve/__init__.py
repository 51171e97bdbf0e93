"""`notes serve` and `notes up`: the site served exactly as the S3 website endpoint serves it.

``website`` answers requests (index documents, ``folder`` -> ``folder/``, ``404.html``) from a
store: the build folder (``notes serve``) or the embedded S3 bucket (``notes up``, ``embedded``).
``watch`` and ``livereload`` rebuild on every save and reload the browser; ``dev`` runs both
commands, ``devsite`` keeps the build's state between rebuilds.
"""

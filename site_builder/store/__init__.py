"""What the builder keeps on disk between runs, and the only code that writes the output folder.

``cache``: the build cache's state file and the keys it trusts; ``blobs``: rendered note bodies
in append-only pack files; ``output``: the site's files (``OutputFile``), made into a staging
folder and moved in only when every one was made; ``session``: one build's use of the cache,
from the state it starts with to the state it saves.
"""

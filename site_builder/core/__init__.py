"""The bottom layer: what every other package may use and nothing here imports from them.

Errors (``NotesError`` and its two kinds), the project's settings (notes.toml), the bucket's
public layout, the process pool every parallel step runs on, the liveness check of a process,
and the crash report the CLI prints for a bug.
"""

"""The notes as the writer keeps them: reading a content folder or an Obsidian vault.

``walk`` finds the files (hidden files, symlinks leaving the folder), ``frontmatter`` reads
properties, ``content`` makes ``Note`` values, and ``links`` resolves a link the way Obsidian
does (by path, then by title or file name) against a ``LinkIndex`` of the whole folder.
"""

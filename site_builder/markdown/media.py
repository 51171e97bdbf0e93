"""Obsidian's embeds of files that are not notes or images: audio, video, PDF, Bases, YouTube.

``![[talk.mp4]]`` plays in Obsidian; on the site it must play too, not be a bare link.  Audio
and video become native ``<audio controls>``/``<video controls>`` players (no script), a PDF
an embedded viewer with a link to the file, a Base (``![[Books.base]]``: a live database view
of the vault) a note saying the view is not published, since it has no static form.  A
YouTube address written as an image (``![](https://youtu.be/ID)``) becomes a lazy,
privacy-enhanced player from youtube-nocookie.com, as Obsidian shows it.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

AUDIO_EXTENSIONS = (".mp3", ".ogg", ".wav", ".m4a", ".flac", ".oga", ".opus", ".3gp")
VIDEO_EXTENSIONS = (".mp4", ".webm", ".ogv", ".mov", ".mkv")
PDF_EXTENSION = ".pdf"
BASE_EXTENSION = ".base"
EMBEDDED_FILES = (*AUDIO_EXTENSIONS, *VIDEO_EXTENSIONS, PDF_EXTENSION, BASE_EXTENSION)
_YOUTUBE = re.compile(r"^https?://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:.*&)?v=|embed/|"
                      r"shorts/)|youtu\.be/)([A-Za-z0-9_-]{6,})")


def media_html(kind: str, url: str, name: str) -> str:
    """The player (or viewer, or note) for a file embed; ``url`` is already resolved, ``kind``
    its extension."""
    src, label = html.escape(url), html.escape(name)
    if kind in AUDIO_EXTENSIONS:
        return (f'<audio class="embed-audio" controls preload="metadata" src="{src}">'
                f'<a href="{src}">{label}</a></audio>')
    if kind in VIDEO_EXTENSIONS:
        return (f'<video class="embed-video" controls preload="metadata" src="{src}">'
                f'<a href="{src}">{label}</a></video>')
    if kind == PDF_EXTENSION:
        return (f'<div class="embed-pdf"><iframe src="{src}" title="{label}" loading="lazy">'
                f'</iframe><p><a href="{src}">{label}</a></p></div>')
    return base_html(name)


def base_html(name: str) -> str:
    """A Base is a live view of the vault's properties, drawn by Obsidian: say so."""
    return (f'<div class="embed embed-base" data-pagefind-ignore><p class="embed-title">'
            f'{html.escape(name)}</p><p>This view is an Obsidian Base: it is shown in Obsidian '
            f'only.</p></div>')


def youtube_id(url: str) -> str | None:
    match = _YOUTUBE.match(url)
    return match.group(1) if match else None


class YouTubeTreeprocessor(Treeprocessor):
    """``![title](https://www.youtube.com/watch?v=ID)`` -> a lazy youtube-nocookie player."""

    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for i, img in enumerate(list(parent)):
                video = youtube_id(img.get("src", "")) if img.tag == "img" else None
                if video is None:
                    continue
                frame = etree.Element("iframe", {
                    "class": "embed-youtube", "loading": "lazy",
                    "src": f"https://www.youtube-nocookie.com/embed/{video}",
                    "title": img.get("alt") or "YouTube video",
                    "allow": "encrypted-media; picture-in-picture; fullscreen",
                    "referrerpolicy": "strict-origin-when-cross-origin"})
                frame.text = ""
                frame.tail = img.tail
                parent.remove(img)
                parent.insert(i, frame)

"""Colours that pass WCAG AA: the code highlighting styles, scoped to the page's theme.

Pygments' styles were not made for contrast (``friendly`` draws comments at 2.6:1 on its own
background), so every colour of a style is darkened (on a light background) or lightened (on a
dark one) just enough to reach 4.5:1.  The styles are scoped by ``data-theme`` on ``<html>``,
which the inline script in ``base.html`` sets before the first paint from the reader's choice
or the system's preference.
"""

from __future__ import annotations

import re

AA = 4.6  # 4.5:1 with a margin for rounding in the browser
_COMMENT = re.compile(r"\s*/\*.*?\*/")
_COLOR = re.compile(r"(?<![-\w])color: #([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def _rgb(hex_: str) -> tuple[float, float, float]:
    hex_ = hex_.lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    return tuple(int(hex_[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(hex_: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = map(channel, _rgb(hex_))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def readable(color: str, background: str) -> str:
    """``color``, moved toward black or white until it reads on ``background`` (AA)."""
    if contrast(color, background) >= AA:
        return color.lower()
    target = 0.0 if luminance(background) > 0.18 else 1.0
    rgb = _rgb(color)
    for step in range(1, 21):
        mix = tuple(c + (target - c) * step / 20 for c in rgb)
        out = "#" + "".join(f"{round(c * 255):02x}" for c in mix)
        if contrast(out, background) >= AA:
            return out
    return "#000000" if target == 0.0 else "#ffffff"


def highlight_css(style: str, scope: str) -> str:
    """One Pygments style's rules under ``scope .highlight``, every colour made readable."""
    from pygments.formatters import HtmlFormatter
    from pygments.styles import get_style_by_name

    background = get_style_by_name(style).background_color or "#ffffff"
    css = HtmlFormatter(style=style).get_style_defs(f"{scope} .highlight")
    # Only the token rules: no line numbers here, and the comments naming tokens are bytes
    # every page pays for.
    rules = [_COMMENT.sub("", line).strip() for line in css.splitlines()
             if line.startswith(scope)]
    return _COLOR.sub(lambda m: "color: " + readable("#" + m.group(1), background),
                      "\n".join(rules))

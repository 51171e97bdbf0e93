"""Colours that pass WCAG AA: the code highlighting styles, scoped to the page's theme.

Pygments' styles were not made for contrast (``friendly`` draws comments at 2.6:1 on its own
background), so every colour of a style is darkened (on a light background) or lightened (on a
dark one) just enough to reach 4.5:1.  The dark style applies under ``data-theme=dark`` on
``<html>``, which the inline script in ``base.html`` sets before the first paint from the
reader's choice or the system's preference.
"""

from __future__ import annotations

AA = 4.6  # 4.5:1 with a margin for rounding in the browser


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


def highlight_css(light: str, dark: str) -> str:
    """Both Pygments styles in one small stylesheet: token classes that share a (light, dark)
    pair of colours share one rule, whose colour is a custom property set per theme.  About a
    fifth of two scoped copies of Pygments' own CSS, which every page downloads."""
    from pygments.styles import get_style_by_name
    from pygments.token import STANDARD_TYPES

    styles = [get_style_by_name(light), get_style_by_name(dark)]
    backgrounds = [st.background_color or "#ffffff" for st in styles]
    groups: dict[tuple[str, ...], list[str]] = {}
    for token, name in sorted(STANDARD_TYPES.items(), key=lambda item: item[1]):
        if not name:
            continue
        looks = [st.style_for_token(token) for st in styles]
        colours = tuple(readable("#" + look["color"], bg) if look["color"] else ""
                        for look, bg in zip(looks, backgrounds))
        if not any(colours):
            continue
        weight = "b" if looks[0]["bold"] else ""
        slant = "i" if looks[0]["italic"] else ""
        groups.setdefault((*colours, weight + slant), []).append(name)
    rules, themes = [], ([f"--hl-bg:{backgrounds[0]}"], [f"--hl-bg:{backgrounds[1]}"])
    for i, ((*colours, face), names) in enumerate(sorted(groups.items(), key=lambda g: g[1])):
        for theme, colour in zip(themes, colours):
            theme.append(f"--hl{i}:{colour or 'currentColor'}")
        extra = (";font-weight:bold" if "b" in face else "") + (
            ";font-style:italic" if "i" in face else "")
        rules.append(f".highlight :is({','.join('.' + n for n in names)}){{color:var(--hl{i})"
                     f"{extra}}}")
    return "\n".join([
        f"html{{{';'.join(themes[0])}}}",
        f"html[data-theme=dark]{{{';'.join(themes[1])}}}",
        ".highlight{background:var(--hl-bg)}",
        *rules,
    ]) + "\n"

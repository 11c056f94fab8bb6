"""A Static that renders its Rich content once per width.

Laying out a Static, Textual renders a Rich renderable twice: once to count its lines (the height), then
again to draw them. The Details pane's tables took about 4 ms a render on a quiet core, twice on every
lookup. `RichStatic` keeps the lines of the first render and draws those.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderableType, RenderResult
from rich.text import Text
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, RichVisual, Visual, VisualType
from textual.widgets import Static


class RenderedOnce(RichVisual):
    """A Rich renderable whose height and lines come from one render per width and style."""

    def __init__(self, widget: Static, renderable: RenderableType) -> None:
        super().__init__(widget, renderable)
        self._kept: tuple[int, Style, list[Strip]] | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._renderable  # still a Rich renderable to whoever reads the Static's content

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self._strips(width, self._widget.visual_style))

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        strips = self._strips(width, style, options)
        return strips if height is None else strips[:height]

    def _strips(self, width: int, style: Style, options: RenderOptions | None = None) -> list[Strip]:
        if self._kept is None or self._kept[:2] != (width, style):
            self._kept = (width, style, super().render_strips(width, None, style, options))  # type: ignore[arg-type]
        return self._kept[2]


class RichStatic(Static):
    """A Static whose Rich renderables (tables, groups) are rendered once per width; text and Visuals are
    drawn as a Static draws them."""

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        if isinstance(content, ConsoleRenderable) and not isinstance(content, (Text, Visual)):
            content = RenderedOnce(self, content)
        super().update(content, layout=layout)

"""From suite facts to items with rendered prompts."""

from harness.prompts.items import Item, build_items
from harness.prompts.render import render_template

__all__ = ["Item", "build_items", "render_template"]

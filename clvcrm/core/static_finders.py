"""Serve plotly's JavaScript from the installed package, and nothing else of it.

Adding plotly's whole ``package_data`` folder to ``STATICFILES_DIRS`` would also publish
its 20 MB of datasets and widget bundles; the charts need only ``plotly.min.js``.
"""

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal, overload

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
PUBLISHED = {"vendor/plotly/plotly.min.js": "plotly.min.js"}
# plotly.js adds its CSS rules to the sheet with this id, making it if it is missing.
PLOTLY_STYLE_SHEET = "plotly.js-style-global"
# A bundled stylesheet (the map traces' CSS) that plotly.js inserts once, unless its id is taken.
BUNDLED_STYLE = re.compile(
    rb'getElementById\("([\w.-]+)"\)\)\{var \w=document\.createElement\("style"\)'
)


@cache
def plotly_style_sheet_ids() -> tuple[str, ...]:
    """The ids of the ``<style>`` elements plotly.js would create in the page.

    A Content-Security-Policy refuses a style element a script makes; the chart pages make
    these elements themselves, empty and with the nonce, so plotly.js finds them and only
    adds rules to them (which the policy allows). Read from the installed plotly.min.js, so
    a new plotly release names its own.
    """
    bundled = BUNDLED_STYLE.findall((PLOTLY_DIR / "plotly.min.js").read_bytes())
    return (PLOTLY_STYLE_SHEET, *(name.decode() for name in bundled))


class PlotlyFinder(BaseFinder):
    """Finds ``vendor/plotly/plotly.min.js`` in the installed plotly package."""

    storage = FileSystemStorage(location=str(PLOTLY_DIR))

    def check(self, **kwargs: Any) -> list:
        return []

    @overload
    def find(self, path: str, find_all: Literal[False] = False, **kwargs: Any) -> str: ...

    @overload
    def find(self, path: str, find_all: Literal[True], **kwargs: Any) -> list[str]: ...

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        name = PUBLISHED.get(path)
        if name is None:
            return [] if find_all else ""
        found = str(PLOTLY_DIR / name)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Any:
        for name in PUBLISHED.values():
            yield name, _Prefixed(self.storage)


class _Prefixed(FileSystemStorage):
    """The package folder, published under ``vendor/plotly/``."""

    def __init__(self, storage: FileSystemStorage) -> None:
        super().__init__(location=storage.location)
        self.prefix = "vendor/plotly"

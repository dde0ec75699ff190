"""`report`: one self-contained HTML page of what the last commands found (pure:
`flows/report.py` reads the files, `page.render` writes the text)."""

from dockwright.report.page import Page, Point, SizeHistory, Source, render, size_history

__all__ = ["Page", "Point", "SizeHistory", "Source", "render", "size_history"]

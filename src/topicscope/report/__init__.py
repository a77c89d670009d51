"""The single-file HTML report: ``TopicModel.report`` and ``topicscope report`` write it.

``data`` turns a fitted ``TopicState``, its stored 2-D layout and the verbs' tables into JSON-ready
blocks; ``builder`` inlines them with the page's assets (``assets/report.html``, ``.css``, ``.js``,
package data) into one HTML file that needs no network. Importing this package loads numpy only.
"""

from .builder import build_report, render_html, report_data, script_json

__all__ = ["build_report", "render_html", "report_data", "script_json"]

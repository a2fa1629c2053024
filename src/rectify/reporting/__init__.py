"""What officials read: bulletins (通报) as rows, their rendering, charts, exports and diagrams.

The submodules: `rectify.reporting.bulletin` (the rows), `rectify.reporting.render`
(Markdown, HTML, XLSX), `rectify.reporting.charts`, `rectify.reporting.exports` and
`rectify.reporting.diagrams`.
"""

__all__: list[str] = []

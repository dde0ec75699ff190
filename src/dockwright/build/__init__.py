"""Building images: the plan from compose (`plan`), one bake with live progress (`run`,
`progress`), and the reports it leaves in build/ (`record`, the one owner of
build/report.json)."""

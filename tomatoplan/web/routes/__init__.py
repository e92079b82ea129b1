"""One module per route area, each with its `routes` table; `app.create_app` adds them all.

Route modules do not import each other (contract in pyproject.toml).
"""

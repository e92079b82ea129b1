"""The rules layer: one module per entity or concern, the planning's rules and its data.

Each module owns one `sql/<area>.sql` file; other modules call its functions, never its
SQL. It may import the base layer, never the web layer nor aiohttp: a rule written here holds
for the API, the admin pages and the command line alike (contracts in pyproject.toml).
"""

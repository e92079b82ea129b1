"""The base layer: configuration, the database, SQL files, errors, validation, permissions.

It imports neither the rules layer nor the web layer, and never aiohttp: what is here serves
the server, the command line and the tests alike (contracts in pyproject.toml).
"""

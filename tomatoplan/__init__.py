"""TomatoPlan Server: the planning API that replaces PTT's shared JSON files.

Nothing here may import aiohttp or another server module: the standard-library client
(`tomatoplan.client`) is imported by PTT on Windows without the server's dependencies.
"""

__version__ = "0.1.0"

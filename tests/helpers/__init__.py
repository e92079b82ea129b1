"""What the tests share: logged-in clients, records made through the API, stream readers, the
built zipapp. Test files import from here (`from tests.helpers.api import login`); conftest.py
only declares fixtures.
"""

from pathlib import Path

# The repository's root folder (README.md, build_zipapp.py, sql/...).
ROOT = Path(__file__).resolve().parent.parent.parent

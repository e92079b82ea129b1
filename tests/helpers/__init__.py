"""What the tests share: logged-in clients, records made through the API, stream readers, the
built zipapp. Test files import from here (`from tests.helpers.api import login`); conftest.py
only declares fixtures.
"""

import os

# The repository's root folder (README.md, build_zipapp.py, sql/...).
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

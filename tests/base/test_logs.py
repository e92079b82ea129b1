"""server.log rotates at its size limit and keeps a bounded number of old files."""

from __future__ import annotations

import logging

from tomatoplan.base.logs import _QuietRotatingFileHandler


def test_the_log_file_rotates_at_its_limit_and_keeps_backup_count_files(tmp_path):
    path = tmp_path / "server.log"
    handler = _QuietRotatingFileHandler(str(path), maxBytes=1000, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.Logger("rotation-test")
    logger.addHandler(handler)
    try:
        for n in range(200):
            logger.warning("ligne %03d %s", n, "x" * 40)  # 50 bytes with its newline
    finally:
        handler.close()
    files = sorted(item.name for item in tmp_path.iterdir())
    assert files == ["server.log", "server.log.1", "server.log.2"]
    for name in files:
        size = (tmp_path / name).stat().st_size
        assert 0 < size <= 1000 + 50, (name, size)
    assert (tmp_path / "server.log.1").stat().st_size >= 1000  # rotated once full, not before
    last = path.read_text(encoding="utf-8").splitlines()[-1]
    assert last.startswith("ligne 199 ")

"""server.log rotates at its size limit and keeps a bounded number of old files; its last
lines are kept in memory, from the end of the file at start."""

from __future__ import annotations

import logging
import threading

from tomatoplan.base import clock
from tomatoplan.base.logs import FORMAT, LogRing, RingHandler, _QuietRotatingFileHandler


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


# --- the last lines in memory (what /admin/server-log shows) --------------------------------

def _ring_logger(ring: LogRing) -> logging.Logger:
    logger = logging.Logger("ring-test", logging.DEBUG)
    logger.addHandler(RingHandler(ring))
    return logger


def test_the_ring_keeps_the_last_lines_numbered_in_order():
    ring = LogRing(size=5)
    logger = _ring_logger(ring)
    for n in range(12):
        logger.info("ligne %d", n)
    lines, last = ring.after(0, 100)
    assert last == 12
    assert [line["id"] for line in lines] == [8, 9, 10, 11, 12]
    assert [line["message"] for line in lines] == [f"ligne {n}" for n in range(7, 12)]
    assert {line["niveau"] for line in lines} == {"INFO"} and lines[0]["source"] == "ring-test"
    assert lines[0]["at"].endswith("Z") and "T" in lines[0]["at"]
    assert ring.after(10, 100)[0] == lines[-2:]  # only what follows
    assert ring.after(12, 100) == ([], 12)  # nothing new
    assert ring.after(3, 100)[0] == lines  # the lines asked for are gone: what is left
    assert ring.after(0, 2)[0] == lines[-2:]  # the newest, oldest first
    assert ring.after(9999, 1)[0] == lines[-1:]  # numbering restarted: the end of the log


def test_the_ring_filters_by_minimum_level_and_keeps_the_traceback():
    ring = LogRing()
    logger = _ring_logger(ring)
    logger.debug("détail")
    logger.warning("disque presque plein")
    try:
        raise RuntimeError("panne <b>simulée</b>")
    except RuntimeError:
        logger.exception("échec de la sauvegarde")
    lines, last = ring.after(0, 100, logging.WARNING)
    assert last == 3
    assert [line["niveau"] for line in lines] == ["WARNING", "ERROR"]
    assert lines[1]["message"].startswith("échec de la sauvegarde\nTraceback")
    assert "RuntimeError: panne <b>simulée</b>" in lines[1]["message"]


def test_a_long_line_is_cut():
    ring = LogRing(line_chars=100)
    _ring_logger(ring).error("x" * 10_000)
    message = ring.after(0, 1)[0][0]["message"]
    assert len(message) == 100 and message.endswith("…")


def test_lines_from_many_threads_each_get_their_own_increasing_id():
    ring = LogRing(size=1000)
    logger = _ring_logger(ring)
    barrier = threading.Barrier(8)

    def write(worker: int) -> None:
        barrier.wait()
        for n in range(500):
            logger.info("fil %d ligne %d", worker, n)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines, last = ring.after(0, 1000)
    assert last == 4000
    assert [line["id"] for line in lines] == list(range(3001, 4001))
    per_worker: dict[str, list[int]] = {}
    for line in lines:  # each thread's lines in the order it wrote them
        _, worker, _, n = line["message"].split()
        per_worker.setdefault(worker, []).append(int(n))
    assert all(numbers == sorted(numbers) for numbers in per_worker.values())


def test_the_ring_starts_with_the_end_of_server_log(tmp_path):
    path = tmp_path / "server.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.Logger("tomatoplan.avant", logging.DEBUG)
    logger.addHandler(handler)
    for n in range(3000):
        logger.info("ancienne ligne %04d %s", n, "é" * 20)
    try:
        raise ValueError("base illisible")
    except ValueError:
        logger.exception("démarrage impossible")
    logger.warning("dernière ligne avant l'arrêt")
    handler.close()
    ring = LogRing()
    read = ring.seed(str(path), max_bytes=4096)
    lines, last = ring.after(0, 1000)
    assert 0 < read == last == len(lines) < 100  # the end of the file only
    assert lines[0]["message"].startswith("ancienne ligne ")  # whole lines, none cut
    assert lines[-1] == {"id": last, "at": lines[-1]["at"], "niveau": "WARNING",
                         "source": "tomatoplan.avant", "message": "dernière ligne avant l'arrêt"}
    failure = lines[-2]
    assert failure["niveau"] == "ERROR" and failure["message"].startswith("démarrage impossible\nTraceback")
    assert failure["message"].endswith("ValueError: base illisible")
    seconds = (clock.parse_iso(lines[-1]["at"]) - clock.now()).total_seconds()
    assert -60 < seconds <= 1  # local time in the file, UTC in the answer
    assert LogRing().seed(str(tmp_path / "absent.log")) == 0
    _ring_logger(ring).info("après le redémarrage")
    assert ring.after(last, 10)[0][0]["id"] == last + 1

"""tomatoplan/client.py, the PTT client, against the built zipapp serving on loopback: each
family of methods, the typed errors, the new login after a revoked session, the timeouts, the
live events across a cut connection; and the file copied alone, run by every Python from 3.9
to 3.13 found here with nothing but the standard library on its path.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Iterator

import pytest

from tests.helpers import ROOT
from tests.helpers.zipapp import (
    free_port,
    python_or_skip,
    run_python,
    start_server,
    stop_server,
    wait_for_health,
)
from tomatoplan.client import (
    AuthError,
    ConflictError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    TomatoPlanClient,
    TomatoPlanError,
    ValidationError,
)

pytestmark = pytest.mark.zipapp

CLIENT_FILE = ROOT / "tomatoplan" / "client.py"
_numbers = itertools.count(1)


def a_new_day() -> str:
    """A day no other test of the module plans on."""
    return (datetime.date(2031, 1, 1) + datetime.timedelta(days=next(_numbers))).isoformat()


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail the block (interrupting a blocking read) when it lasts longer than `seconds`."""
    def late(*_: object) -> None:
        raise AssertionError(f"still waiting after {seconds} s")
    previous = signal.signal(signal.SIGALRM, late)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def server(pyz, tmp_path_factory) -> Iterator[str]:
    """The zipapp serving a fresh database (only ADMIN) on loopback: its base URL."""
    folder = tmp_path_factory.mktemp("client")
    port = free_port()
    with open(folder / "server-output.txt", "wb") as output:
        process = start_server(sys.executable, pyz, folder, port, output)
    try:
        wait_for_health(process, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture
def admin(server) -> TomatoPlanClient:
    client = TomatoPlanClient(server)
    client.login("ADMIN", "PC-ADMIN")
    return client


def logged_in(server: str, admin: TomatoPlanClient, role: str) -> TomatoPlanClient:
    """A client logged in as a new user of that role."""
    username = f"{role.upper()}.C{next(_numbers)}"
    admin.create_user({"username": username, "role": role})
    client = TomatoPlanClient(server)
    client.login(username, "PC-PTT")
    return client


class CuttingProxy:
    """TCP from loopback to the server, which cuts connections on demand: `cut()` every open
    one, `drop_next()` the next one the server sends anything to (that data is lost)."""

    def __init__(self, server: str):
        self.target = ("127.0.0.1", int(server.rsplit(":", 1)[1]))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests: list[bytes] = []  # the first bytes of each request, in order
        self.streaming = threading.Event()  # an /events answer went through
        self.dropping = threading.Event()
        self.sockets: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [downstream, upstream]
            connection = {"events": False}  # shared by its two directions
            for pipe in ((downstream, upstream, connection, True), (upstream, downstream, connection, False)):
                thread = threading.Thread(target=self._pipe, args=pipe, daemon=True)
                self.threads.append(thread)
                thread.start()

    def _pipe(self, source: socket.socket, sink: socket.socket, connection: dict, from_client: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_client:
                    self.requests.append(data)
                    connection["events"] = connection["events"] or data.startswith(b"GET /events")
                elif self.dropping.is_set():
                    self.dropping.clear()
                    break
                sink.sendall(data)
                if connection["events"] and not from_client:
                    self.streaming.set()
        except OSError:
            pass
        finally:
            self._shut(source, sink)

    @staticmethod
    def _shut(*sockets: socket.socket) -> None:
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop_next(self) -> None:
        self.dropping.set()

    def cut(self) -> None:
        self._shut(*self.sockets)

    def events_requests(self) -> list[bytes]:
        return [request for request in self.requests if request.startswith(b"GET /events")]

    def close(self) -> None:
        self._shut(self.listener)  # wakes its accept()
        self.listener.close()
        self.cut()
        for thread in self.threads:
            thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def proxy(server) -> Iterator[CuttingProxy]:
    cutting = CuttingProxy(server)
    try:
        yield cutting
    finally:
        cutting.close()


# ------------------------------------------------------------------------------ the session


def test_login_takes_the_windows_user_and_pc_name_or_the_ones_given(server, admin, monkeypatch):
    username = f"VIEWER.C{next(_numbers)}"
    admin.create_user({"username": username, "role": "viewer"})
    monkeypatch.setenv("USERNAME", username.lower())  # as Windows spells it
    monkeypatch.setattr(socket, "gethostname", lambda: "PC BUREAU#01")
    client = TomatoPlanClient(server)
    answer = client.login()
    assert answer["user"]["username"] == username and client.user["role"] == "viewer"
    assert client.me()["session"]["hostname"] == "PC-BUREAU-01"  # what the server accepts

    explicit = TomatoPlanClient(server + "/")
    explicit.login(f"CORP\\{username}", "PC-ATELIER")
    assert explicit.me()["session"]["hostname"] == "PC-ATELIER"
    explicit.logout()
    with pytest.raises(AuthError):
        explicit.me()
    with pytest.raises(ValueError, match="Adresse du serveur invalide"):
        TomatoPlanClient("serveur:8000")


def test_a_revoked_session_logs_in_again_once_then_the_refusal_is_raised(server, admin):
    planner = logged_in(server, admin, "planner")
    first = planner.me()["session"]["id"]
    admin.revoke_session(first)
    assert isinstance(planner.get_voyages(), list)  # after one new login, unseen by the caller
    assert planner.me()["session"]["id"] != first

    logins = []
    login = planner.login
    planner.login = lambda *args: logins.append(args) or login(*args)  # type: ignore[method-assign]
    user = next(u for u in admin.get_users() if u["username"] == planner.user["username"])
    admin.delete_user(user)  # deactivated: its sessions are revoked, and it may not log in
    with pytest.raises(AuthError) as refused:
        planner.get_voyages()
    assert len(logins) == 1
    assert refused.value.status == 401 and refused.value.code == "login_refused"


# ------------------------------------------------------------------------------ the planning


def test_the_seed_calls_then_missions_read_changed_and_deleted(server, admin):
    day = a_new_day()
    chauffeur = admin.create_chauffeur({"nom": f"MARTIN{next(_numbers)}", "prenom": "Paul"})
    voyage = admin.create_voyage({"code": f"LYON-{next(_numbers)}", "destination": "Lyon",
                                  "heure_debut": "05:00", "heure_fin": "09:00",
                                  "jours": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"]})
    planner = logged_in(server, admin, "planner")

    assert planner.get_missions_by_date(day) == []
    assert voyage["id"] in [v["id"] for v in planner.get_voyages()]
    assert chauffeur["id"] in [c["id"] for c in planner.get_chauffeurs()]
    new_mission = planner.create_mission({"date_mission": day, "destination": "Paris",
                                          "chauffeur_id": chauffeur["id"], "voyage_id": voyage["id"],
                                          "heure_debut": "06:00", "statut": "planifie"})
    assert new_mission["version"] == 1 and "prix" not in new_mission  # a planner sees no finance
    assert planner.get_missions_by_date(day) == [new_mission]
    assert planner.get_missions(date=day, chauffeur_id=chauffeur["id"]) == [new_mission]
    assert planner.get_mission(new_mission["id"]) == new_mission

    changed = planner.update_mission(new_mission, {"remarques": "quai 4"})  # If-Match: "1"
    assert (changed["version"], changed["remarques"]) == (2, "quai 4")
    with pytest.raises(ValueError):  # an id alone would overwrite a colleague: refused
        planner.update_mission(changed["id"], {"vehicule": "AB-123-CD"})
    again = planner.update_mission(changed["id"], {"vehicule": "AB-123-CD"}, overwrite=True)
    assert again["version"] == 3
    assert planner.update_mission(again["id"], {"statut": "en_cours"}, version=3)["version"] == 4
    priced = admin.update_mission_finance(new_mission["id"], {"prix": 125.5}, version=4)
    assert priced["prix"] == "125.50"
    assert planner.delete_mission(priced) is None
    with pytest.raises(NotFoundError):
        planner.get_mission(new_mission["id"])
    history = admin.get_mission_history(new_mission["id"])
    assert sorted(line["action"] for line in history) == ["create", "delete", "update", "update",
                                                           "update", "update"]

    monday = "2031-06-02"
    generated = planner.generate_missions({"date": monday})
    assert voyage["id"] in [m["voyage_id"] for m in generated["creees"]]
    assert voyage["id"] in [m["voyage_id"] for m in planner.generate_missions({"date": monday})["existantes"]]


def test_a_whole_list_is_read_page_by_page_unless_a_limit_is_given(server, admin, monkeypatch):
    day = a_new_day()
    created = [admin.create_mission({"date_mission": day, "destination": f"Lyon {n}"})["id"]
               for n in range(5)]
    client = TomatoPlanClient(server, page_size=2)
    client.login("ADMIN")
    requests = []
    send = client._request
    monkeypatch.setattr(client, "_request", lambda *args: requests.append(args[1]) or send(*args))
    everything = client.get_missions_by_date(day)
    assert sorted(m["id"] for m in everything) == created
    assert [url.split("?")[1] for url in requests] == ["limit=2&offset=0", "limit=2&offset=2",
                                                       "limit=2&offset=4"]
    assert client.get_missions_by_date(day, limit=2, offset=1) == everything[1:3]
    assert client.get_missions(date=day, offset=3) == everything[3:]


def test_voyages_chauffeurs_their_absences_and_skills_and_the_catalogue(server, admin):
    number, day = next(_numbers), a_new_day()
    skill = admin.create_competence({"code": f"HAYON_{number}", "libelle": "Hayon"})
    skill = admin.update_competence(skill, {"libelle": "Hayon élévateur"})
    assert admin.get_competence(skill["id"])["libelle"] == "Hayon élévateur"
    assert skill["code"] in [s["code"] for s in admin.get_competences()]

    chauffeur = admin.create_chauffeur({"nom": f"DUPONT{number}", "prenom": "Jean"})
    chauffeur = admin.update_chauffeur(chauffeur, {"telephone": "0600000000"})
    assert admin.get_chauffeur(chauffeur["id"])["telephone"] == "0600000000"
    absence = admin.create_absence(chauffeur["id"], {"date_debut": day, "date_fin": day, "motif": "conge"})
    assert admin.get_absences(chauffeur["id"]) == [absence]
    absence = admin.update_absence(chauffeur["id"], absence, {"commentaire": "posé en janvier"})
    assert admin.get_absence(chauffeur["id"], absence["id"])["commentaire"] == "posé en janvier"
    free = admin.get_chauffeurs_disponibles(day, tous=True)
    assert next(c for c in free if c["id"] == chauffeur["id"])["disponible"] is False
    assert admin.delete_absence(chauffeur["id"], absence) is None

    held = admin.create_chauffeur_competence(chauffeur["id"], {"code": skill["code"]})
    held = admin.update_chauffeur_competence(chauffeur["id"], held, {"date_expiration": "2032-01-31"})
    assert admin.get_chauffeur_competences(chauffeur["id"]) == [held]
    assert admin.get_chauffeur_competence(chauffeur["id"], held["id"])["date_expiration"] == "2032-01-31"
    assert admin.delete_chauffeur_competence(chauffeur["id"], held) is None
    assert admin.delete_competence(skill) is None
    assert admin.get_chauffeur_history(chauffeur["id"])[0]["action"] == "create"
    assert admin.delete_chauffeur(chauffeur["id"], overwrite=True) is None  # no mission: erased

    voyage = admin.create_voyage({"code": f"NUIT-{number}", "destination": "Lille",
                                  "heure_debut": "22:00", "heure_fin": "04:00", "jours": ["lundi"]})
    voyage = admin.update_voyage(voyage, {"nom": "Lille de nuit"})
    assert admin.get_voyage(voyage["id"]) == voyage
    assert voyage in admin.get_voyages(actif=True)
    assert len(admin.get_voyage_history(voyage["id"])) == 2
    assert admin.delete_voyage(voyage) is None


def test_a_day_copied_then_validated_then_reopened(server, admin):
    planner = logged_in(server, admin, "planner")
    day, target = a_new_day(), a_new_day()
    original = planner.create_mission({"date_mission": day, "destination": "Lyon", "heure_debut": "06:00"})
    copied = planner.copy_missions({"date_source": day, "date_cible": target, "chauffeurs": True})
    [copy] = copied["creees"]
    assert (copy["date_mission"], copy["destination"], copied["non_repris"]) == (target, "Lyon", [])
    again = planner.copy_missions({"date_source": day, "date_cible": target})
    assert again["existantes"] == [{"mission_source_id": original["id"], "mission_id": copy["id"]}]

    jour = admin.validate_jour(target)
    assert jour["valide"] and jour["valide_par"] == "ADMIN" and admin.get_jour(target) == jour
    with pytest.raises(ConflictError) as refused:
        planner.update_mission(copy, {"remarques": "quai 2"})
    assert refused.value.code == "jour_valide" and refused.value.problem["jours"] == [jour]
    assert "validé par ADMIN" in refused.value.detail
    assert admin.reopen_jour(target)["valide"] is False
    assert planner.update_mission(copy, {"remarques": "quai 2"})["remarques"] == "quai 2"


def test_users_sessions_backups_statistics_and_the_server(server, admin):
    username = f"PLANIF.C{next(_numbers)}"
    user = admin.create_user({"username": username, "role": "planner", "display_name": "Planif"})
    user = admin.update_user(user, {"role": "viewer"})
    assert admin.get_user(user["id"])["role"] == "viewer"
    assert user["id"] in [u["id"] for u in admin.get_users()]
    admin.delete_user(user)
    assert next(u for u in admin.get_users(include_inactive=True) if u["id"] == user["id"])["active"] is False

    other = TomatoPlanClient(server)
    other.login("ADMIN", "PC-AUTRE")
    session = other.me()["session"]["id"]
    assert session in [s["id"] for s in admin.get_sessions()]
    admin.revoke_session(session)
    assert session not in [s["id"] for s in admin.get_sessions()]

    backup = admin.create_backup(description="Depuis le client")
    assert backup["name"] in [b["name"] for b in admin.get_backups()]
    assert admin.get_backup(backup["name"])["description"] == "Depuis le client"
    copy = admin.download_backup(backup["name"])
    assert copy.startswith(b"SQLite format 3\x00")
    imported = admin.upload_backup(copy, description="Copie")
    assert imported["name"] != backup["name"]
    assert admin.delete_backup(imported["name"]) is None

    assert admin.get_dashboard()["version"] == admin.health()["version"]
    assert len(admin.get_recent_activity(limit=3)) == 3
    assert any(row["username"] == "ADMIN" for row in admin.get_activity_by_user())
    assert admin.get_openapi()["openapi"].startswith("3.1")
    assert admin.get_config() and "lignes" in admin.get_server_log(limit=1)
    assert TomatoPlanClient(server).health()["status"] in ("ok", "degraded")  # no login needed


def test_every_route_of_the_api_has_its_method(admin):
    """A route added to the server without its method in the client fails here."""
    served = set()
    for path, operations in admin.get_openapi()["paths"].items():
        for verb, operation in operations.items():
            media = set().union(*(answer.get("content", {}) for answer in operation["responses"].values()))
            if path in ("/", "/client.py", "/static/{path}") or "text/html" in media:
                continue  # pages and files, not the API
            served.add((verb.upper(), re.sub(r"\{[^}]+\}", "{}", path)))
    methods = {method.route for method in vars(TomatoPlanClient).values() if hasattr(method, "route")}
    assert methods == served


def test_the_server_serves_the_client_and_the_dashboard_links_to_it(server):
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    with direct.open(server + "/client.py", timeout=5) as answer:
        assert answer.read() == CLIENT_FILE.read_bytes()
        assert answer.headers["Content-Type"] == "text/x-python; charset=utf-8"
        assert answer.headers["Content-Disposition"] == 'attachment; filename="tomatoplan_client.py"'
        etag = answer.headers["ETag"]
    again = urllib.request.Request(server + "/client.py", headers={"If-None-Match": etag})  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as unchanged:
        direct.open(again, timeout=5)
    with unchanged.value:
        assert unchanged.value.code == 304
    with direct.open(server + "/admin", timeout=5) as page:
        assert 'href="/client.py"' in page.read().decode("utf-8")


# ------------------------------------------------------------------------------ refusals


def test_each_refusal_raises_its_error_with_the_server_french_detail(server, admin):
    with pytest.raises(AuthError) as unknown:
        TomatoPlanClient(server).login("PERSONNE.INCONNUE")
    assert (unknown.value.status, unknown.value.code) == (401, "login_refused")

    planner = logged_in(server, admin, "planner")
    with pytest.raises(ForbiddenError) as forbidden:
        planner.get_users()
    assert (forbidden.value.status, forbidden.value.code) == (403, "forbidden")
    assert "planner" in forbidden.value.detail
    with pytest.raises(NotFoundError) as missing:
        planner.get_mission(10**12)
    assert missing.value.status == 404

    day = a_new_day()
    chauffeur = admin.create_chauffeur({"nom": f"ABSENT{next(_numbers)}", "prenom": "Luc"})
    admin.create_absence(chauffeur["id"], {"date_debut": day, "date_fin": day, "motif": "maladie"})
    with pytest.raises(ConflictError) as refused:
        planner.create_mission({"date_mission": day, "destination": "Lyon", "chauffeur_id": chauffeur["id"]})
    assert (refused.value.status, refused.value.code) == (409, "assignment_conflict")
    assert [problem["code"] for problem in refused.value.problems] == ["chauffeur_absent"]
    assert refused.value.detail.startswith("Affectation refusée")
    with pytest.raises(ConflictError) as dangling:
        planner.create_mission({"date_mission": day, "destination": "Lyon", "chauffeur_id": 10**12})
    assert dangling.value.code == "reference_not_found"
    assert [error["field"] for error in dangling.value.errors] == ["chauffeur_id"]

    mission = planner.create_mission({"date_mission": day, "destination": "Lyon"})
    colleague = admin.update_mission(mission["id"], {"vehicule": "AB-123-CD"}, overwrite=True)
    with pytest.raises(ConflictError) as stale:
        planner.update_mission(mission, {"remarques": "quai 4"})
    assert (stale.value.status, stale.value.code) == (412, "version_mismatch")
    current = stale.value.current  # what the colleague saved, to show and retry on
    assert (current["version"], current["vehicule"]) == (colleague["version"], "AB-123-CD")
    with pytest.raises(ConflictError):
        planner.delete_mission(mission)
    assert planner.update_mission(stale.value.current, {"remarques": "quai 4"})["version"] == 3

    with pytest.raises(ValidationError) as invalid:
        planner.create_mission({"date_mission": "2024-02-30", "destination": "Lyon", "inconnu": 1})
    assert (invalid.value.status, invalid.value.code) == (422, "validation_error")
    assert sorted(error["field"] for error in invalid.value.errors) == ["date_mission", "inconnu"]
    assert str(invalid.value) == invalid.value.detail == "Champs invalides : date_mission, inconnu"
    assert all(isinstance(error.value, TomatoPlanError) for error in (unknown, forbidden, invalid))


# ------------------------------------------------------------------------------ the network


def test_a_server_that_never_answers_times_out_within_the_timeout():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts (the kernel does), never answers
        client = TomatoPlanClient(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(NetworkError) as late:
            client.health()
    assert 0.4 < time.monotonic() - started < 5
    assert (late.value.status, late.value.code) == (None, "timeout")
    assert "pas de réponse" in late.value.detail


def test_a_connection_that_never_opens_times_out_within_the_connect_timeout():
    with socket.create_server(("127.0.0.1", 0), backlog=0) as full:
        port = full.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):  # fills the queue: the next one waits
            client = TomatoPlanClient(f"http://127.0.0.1:{port}", connect_timeout=0.5, timeout=30)
            started = time.monotonic()
            with pytest.raises(NetworkError) as late:
                client.health()
    assert time.monotonic() - started < 5 and late.value.code == "timeout"


def test_no_server_at_all_is_a_network_error():
    with pytest.raises(NetworkError) as unreachable:
        TomatoPlanClient(f"http://127.0.0.1:{free_port()}").health()
    assert unreachable.value.code == "network_error" and "injoignable" in unreachable.value.detail


# ------------------------------------------------------------------------------ live events


def test_events_resume_after_a_cut_with_last_event_id_and_miss_nothing(admin, proxy):
    listener = TomatoPlanClient(proxy.url)
    listener.login("ADMIN", "PC-ECRAN")
    start = admin.get_recent_activity(limit=1)[0]["id"]
    mission = admin.create_mission({"date_mission": a_new_day(), "destination": "Lyon"})
    feed = listener.events(topics=["missions"], last_event_id=start, min_delay=0.05)
    with contextlib.closing(feed):
        with within(10):
            created = next(feed)
        assert (created["event"], created["action"]) == ("change", "create")
        assert created["entity_id"] == mission["id"]
        proxy.drop_next()  # the update's event is lost with the connection
        admin.update_mission(mission, {"remarques": "quai 4"})
        with within(10):
            updated = next(feed)
    assert (updated["event"], updated["action"], updated["entity_id"]) == ("change", "update", mission["id"])
    assert updated["record"]["remarques"] == "quai 4" and updated["id"] > created["id"]
    reconnections = proxy.events_requests()
    assert len(reconnections) == 2
    assert f"Last-Event-ID: {created['id']}\r\n".encode() in reconnections[1]


def test_events_say_resync_when_nothing_tells_where_to_resume_and_after_a_restore(admin, proxy):
    listener = TomatoPlanClient(proxy.url)
    listener.login("ADMIN", "PC-ECRAN")

    def cut_once_streaming() -> None:
        if proxy.streaming.wait(10):
            time.sleep(0.2)
            proxy.cut()

    cutter = threading.Thread(target=cut_once_streaming)
    with contextlib.closing(listener.events(min_delay=0.05)) as feed:
        cutter.start()
        with within(15):
            assert next(feed) == {"event": "resync", "reason": "reconnected"}
        backup = admin.create_backup(description="Avant essai")["name"]
        admin.restore_backup(backup)
        with within(30):
            resync = next(event for event in feed if event["event"] == "resync")
    cutter.join()
    assert resync == {"event": "resync", "reason": "restore"}


def test_events_log_in_again_when_their_session_is_revoked(server, admin):
    listener = TomatoPlanClient(server)
    listener.login("ADMIN", "PC-ECRAN")
    session = listener.me()["session"]["id"]
    start = admin.get_recent_activity(limit=1)[0]["id"]
    day = a_new_day()
    first = admin.create_mission({"date_mission": day, "destination": "Lyon"})
    with contextlib.closing(listener.events(topics="missions", last_event_id=start, min_delay=0.05)) as feed:
        with within(10):
            assert next(feed)["entity_id"] == first["id"]
        admin.revoke_session(session)  # the server closes the stream; its token is refused
        second = admin.create_mission({"date_mission": day, "destination": "Paris"})
        with within(10):
            assert next(feed)["entity_id"] == second["id"]
    assert listener.me()["session"]["id"] != session


# ------------------------------------------------------------------------------ copied alone

SMOKE = r"""
import os, sys, sysconfig
sys.path.insert(0, sys.argv[1])
import tomatoplan_client as tc

client = tc.TomatoPlanClient(sys.argv[2], timeout=10)
client.login("ADMIN", "PC-PTT")
start = client.get_recent_activity(limit=1)[0]["id"]
mission = client.create_mission({"date_mission": sys.argv[3], "destination": "Lyon"})
assert client.get_mission(mission["id"]) == mission
client.update_mission(mission["id"], {"remarques": "un collègue"}, overwrite=True)
try:
    client.update_mission(mission, {"remarques": "moi"})
except tc.ConflictError as exc:
    assert (exc.status, exc.current["remarques"]) == (412, "un collègue"), exc.problem
else:
    raise SystemExit("no 412")
feed = client.events(topics=["missions"], last_event_id=start)
assert next(feed)["entity_id"] == mission["id"]
feed.close()

standard = tuple(os.path.realpath(sysconfig.get_paths()[key]) for key in ("stdlib", "platstdlib"))
elsewhere = sorted(name for name, module in sys.modules.items()
                   if getattr(module, "__file__", None) and name != "tomatoplan_client"
                   and not os.path.realpath(module.__file__).startswith(standard))
assert not elsewhere, elsewhere
assert not {"aiohttp", "tomatoplan", "jinja2", "multidict", "yarl"} & set(sys.modules)
print("%d.%d" % sys.version_info[:2])
"""


@pytest.mark.parametrize("version", ["3.9", "3.10", "3.11", "3.12", "3.13"])
def test_the_file_copied_alone_runs_on_python(version, server, tmp_path):
    python = python_or_skip(version)
    shutil.copy(CLIENT_FILE, tmp_path / "tomatoplan_client.py")
    # -I -S: no environment, no user or site packages: the standard library and that folder only
    result = run_python(python, "-I", "-S", "-c", SMOKE, str(tmp_path), server, a_new_day(),
                        cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert result.stdout.decode().strip() == version


# The seed README's "Exemple d'intégration", as PTT's developers will paste it: only the
# server's address differs, and the `...` placeholder of its mission is left out.
SEED_EXAMPLE = """
from client_example.api_client import TomatoPlanClient

# Configuration
client = TomatoPlanClient("{server}")

# Connexion automatique avec l'utilisateur Windows
client.login()

# Utilisation
missions = client.get_missions_by_date("2024-01-15")
voyages = client.get_voyages()
chauffeurs = client.get_chauffeurs()

# Création
new_mission = client.create_mission({{
    "date_mission": "2024-01-15",
    "destination": "Lyon",
}})
print(new_mission["destination"], new_mission["version"])
"""


def test_the_seed_example_runs_unchanged_with_the_file_saved_as_its_module(server, tmp_path):
    package = tmp_path / "client_example"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(CLIENT_FILE, package / "api_client.py")
    # On the PTT station, USERNAME is the Windows account; here, the server's admin. PTT's own
    # folder is on its path (here the working folder: -c without -I); nothing else is (-E -s -S).
    result = subprocess.run([sys.executable, "-E", "-s", "-S", "-c", SEED_EXAMPLE.format(server=server)],
                            cwd=tmp_path, env={"USERNAME": "ADMIN", "PATH": "/usr/bin:/bin"},
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert result.stdout.decode().strip() == "Lyon 1"

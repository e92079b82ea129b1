// The administration pages: who is connected decides what shows (login form, refusal, or
// the page), everything comes from the JSON API with the session cookie, and the dashboard
// follows the event stream (/events) without reloading. Text from the server is always put
// in with textContent: names, PC names, remarks stay inert.
"use strict";

const api = async (method, path, body, headers) => {
  const options = {method, credentials: "same-origin",
                   headers: {"Accept": "application/json", ...(headers || {})}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.detail) || `Erreur ${response.status}`);
    error.status = response.status;
    error.problem = data;
    throw error;
  }
  return data;
};

const $ = (id) => document.getElementById(id);
const show = (id, visible) => { $(id).hidden = !visible; };
const setText = (id, value) => { $(id).textContent = value === null || value === undefined ? "–" : String(value); };
const number = (value) => new Intl.NumberFormat("fr-FR").format(value);
const when = (iso) => new Date(iso).toLocaleString("fr-FR");

function duration(seconds) {
  const days = Math.floor(seconds / 86400), hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return days ? `${days} j ${hours} h` : hours ? `${hours} h ${minutes} min` : `${minutes} min`;
}

async function whoAmI() {
  try {
    return await api("GET", "/auth/me");
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

function showLogin() {
  ["contenu", "refus", "navigation", "qui", "deconnexion"].forEach((id) => show(id, false));
  show("connexion", true);
  $("identifiant").focus();
}

async function login(event) {
  event.preventDefault();
  const field = $("identifiant");
  setText("erreur-identifiant", "");
  field.removeAttribute("aria-invalid");
  try {
    await api("POST", "/auth/login", {username: field.value, hostname: "navigateur",
                                      session_cookie: true});
    document.body.dataset.session = "oui";
    await start();
  } catch (error) {
    $("erreur-identifiant").textContent = error.message;  // what was typed stays in the field
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

async function logout() {
  try {
    await api("POST", "/auth/logout");
  } finally {
    if (stream) stream.close();
    stream = null;
    document.body.dataset.session = "non";
    showLogin();
  }
}

async function loadDashboard() {
  const figures = await api("GET", "/stats/dashboard");
  setText("tableau-date", when(figures.date + "T12:00:00").split(" ")[0]);
  setText("version", figures.version);
  setText("demarre", when(figures.demarre_le));
  setText("uptime", duration(figures.uptime_seconds));
  setText("missions-jour", number(figures.missions.aujourd_hui.total));
  setText("non-affectees", number(figures.missions.non_affectees_aujourd_hui));
  setText("missions-semaine", number(figures.missions.semaine.total));
  setText("chauffeurs-dispo", number(figures.chauffeurs.disponibles_aujourd_hui));
  setText("chauffeurs-actifs", number(figures.chauffeurs.actifs));
  setText("chauffeurs-absents", number(figures.chauffeurs.absents_aujourd_hui));
  setText("sessions", number(figures.sessions_actives));
  setText("utilisateurs", number(figures.utilisateurs_actifs));
  const last = figures.derniere_sauvegarde;
  setText("sauvegarde", last ? `${last.ok ? "Réussie" : "ÉCHEC"} le ${when(last.at)} (${last.name || "—"})`
                             : "Aucune sauvegarde");
  $("sauvegarde").classList.toggle("alerte", Boolean(last && !last.ok));
  const disque = figures.base.disque;
  setText("base", `${number(Math.round(figures.base.taille_octets / 1024))} Kio, disque `
                  + (disque.status === "full" ? "PLEIN" : "ok"));
}

function activityRow(line) {
  const row = document.createElement("tr");
  for (const value of [when(line.at), line.username, line.summary]) {
    const cell = document.createElement("td");
    cell.textContent = value;
    row.appendChild(cell);
  }
  return row;
}

async function loadActivity() {
  const lines = await api("GET", "/stats/activity/recent?limit=15");
  $("activite").replaceChildren(...lines.map(activityRow));
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "—" : String(text);
  return td;
}

let me = null;

async function loadSessions() {
  const sessions = await api("GET", "/admin/sessions?limit=1000");
  $("sessions-liste").replaceChildren(...sessions.map((session) => {
    const row = document.createElement("tr");
    row.dataset.session = session.id;
    const mine = me && session.id === me.session.id;
    row.classList.toggle("moi", Boolean(mine));
    for (const value of [session.username, session.role, session.hostname, session.address,
                         when(session.created_at), when(session.last_seen_at), when(session.expires_at)]) {
      row.appendChild(cell(value));
    }
    const action = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = mine ? "Révoquer (la vôtre)" : "Révoquer";
    button.setAttribute("aria-label", `Révoquer la session de ${session.username} sur ${session.hostname || "poste inconnu"}`);
    button.addEventListener("click", () => revoke(session, mine));
    action.appendChild(button);
    row.appendChild(action);
    return row;
  }));
  setText("sessions-total", number(sessions.length));
}

async function revoke(session, mine) {
  $("erreur-sessions").textContent = "";
  try {
    await api("DELETE", `/admin/sessions/${session.id}`);
  } catch (error) {
    $("erreur-sessions").textContent = error.message;
    return;
  }
  if (mine) {
    if (stream) stream.close();
    stream = null;
    document.body.dataset.session = "non";
    return showLogin();
  }
  await loadSessions();
}

function userError(message) {
  $("erreur-utilisateurs").textContent = message || "";
}

async function changeUser(user, method, body) {
  userError("");
  try {
    await api(method, `/admin/users/${user.id}`, body, {"If-Match": `"${user.version}"`});
  } catch (error) {
    userError(error.message);  // e.g. the last administrator: the API says why, in French
  }
  await loadUsers();
}

async function loadUsers() {
  const users = await api("GET", "/admin/users?include_inactive=true&limit=1000");
  $("utilisateurs-liste").replaceChildren(...users.map((user) => {
    const row = document.createElement("tr");
    row.dataset.user = user.username;
    row.classList.toggle("inactif", !user.active);
    row.append(cell(user.username), cell(user.display_name));
    const roleCell = document.createElement("td");
    const select = document.createElement("select");
    select.setAttribute("aria-label", `Rôle de ${user.username}`);
    select.append($("roles").content.cloneNode(true));
    select.value = user.role;
    select.addEventListener("change", () => changeUser(user, "PUT", {role: select.value}));
    roleCell.appendChild(select);
    row.append(roleCell, cell(user.active ? "actif" : "désactivé"),
               cell(user.last_login_at ? when(user.last_login_at) : "jamais"));
    const action = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = user.active ? "Désactiver" : "Réactiver";
    button.setAttribute("aria-label", `${button.textContent} ${user.username}`);
    button.addEventListener("click", () => user.active ? changeUser(user, "DELETE")
                                                       : changeUser(user, "PUT", {active: true}));
    action.appendChild(button);
    row.appendChild(action);
    return row;
  }));
}

async function createUser(event) {
  event.preventDefault();
  const form = event.target;
  const fields = ["username", "display_name", "role"];
  fields.forEach((name) => { setText(`erreur-${name}`, ""); form.elements[name].removeAttribute("aria-invalid"); });
  userError("");
  const body = {username: form.elements.username.value, role: form.elements.role.value};
  if (form.elements.display_name.value) body.display_name = form.elements.display_name.value;
  try {
    await api("POST", "/admin/users", body);
  } catch (error) {
    const problems = (error.problem && error.problem.errors) || [];
    const placed = problems.filter((problem) => fields.includes(problem.field));
    placed.forEach((problem) => {  // next to its field; what was typed stays
      $(`erreur-${problem.field}`).textContent = problem.detail;
      form.elements[problem.field].setAttribute("aria-invalid", "true");
    });
    if (placed.length) form.elements[placed[0].field].focus();
    else userError(error.message);
    return;
  }
  form.reset();
  await loadUsers();
}

// What each page loads, and reloads when the event stream says something changed.
const PAGES = {
  "tableau-de-bord": () => Promise.all([loadDashboard(), loadActivity()]),
  "utilisateurs": loadUsers,
  "connexions": loadSessions,
};

let stream = null;
let pending = null;

function follow() {
  stream = new EventSource("/events");
  const badge = (text, state) => {  // the dashboard shows whether the stream is live
    const shown = $("direct");
    if (shown) { shown.textContent = text; shown.className = `pastille ${state}`; }
  };
  stream.addEventListener("open", () => badge("en direct", "ok"));
  stream.addEventListener("error", () => badge("reconnexion…", ""));
  const refresh = () => {
    clearTimeout(pending);  // a burst of changes: one reload
    pending = setTimeout(PAGES[document.body.dataset.page], 200);
  };
  stream.addEventListener("change", refresh);
  stream.addEventListener("resync", refresh);
}

async function start() {
  // Without a session cookie, nobody to ask about: the login form at once (a 401 would be a
  // console error for nothing).
  me = document.body.dataset.session === "oui" ? await whoAmI() : null;
  if (me === null) return showLogin();
  show("connexion", false);
  $("qui").textContent = `${me.username} (${me.role})`;
  show("qui", true);
  show("deconnexion", true);
  if (me.role !== "admin") {
    setText("refus-nom", me.username);
    setText("refus-role", me.role);
    show("refus", true);
    return;
  }
  show("navigation", true);
  show("contenu", true);
  await PAGES[document.body.dataset.page]();
  if (!stream) follow();
}

document.addEventListener("DOMContentLoaded", () => {
  $("formulaire-connexion").addEventListener("submit", login);
  if ($("nouvel-utilisateur")) $("nouvel-utilisateur").addEventListener("submit", createUser);
  $("deconnexion").addEventListener("click", logout);
  start();
});

// The administration pages: who is connected decides what shows (login form, refusal, or
// the page), everything comes from the JSON API with the session cookie, and the dashboard
// follows the event stream (/events) without reloading. Text from the server is always put
// in with textContent: names, PC names, remarks stay inert.
"use strict";

async function send(method, path, body, headers) {
  const options = {method, credentials: "same-origin",
                   headers: {"Accept": "application/json", ...(headers || {})}};
  if (body instanceof Blob) {  // a file (backup upload): sent as it is
    options.headers["Content-Type"] = "application/octet-stream";
    options.body = body;
  } else if (body !== undefined) {
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
    if (response.status === 401 && document.body.dataset.session === "oui"
        && !path.startsWith("/auth/")) {
      sessionEnded();  // revoked or expired meanwhile: every page says so the same way
    }
    throw error;
  }
  return {data, response};
}

// The API's answer; a problem (4xx, 5xx) is thrown with its French detail as the message and
// the whole problem (its `errors` per field) in `error.problem`.
const api = async (method, path, body, headers) => (await send(method, path, body, headers)).data;

// A page of a list: its items and the total the API gives in X-Total-Count.
async function apiPage(path) {
  const {data, response} = await send("GET", path);
  return {items: data, total: Number(response.headers.get("X-Total-Count") || data.length)};
}

const $ = (id) => document.getElementById(id);
const show = (id, visible) => { $(id).hidden = !visible; };
// Text from the server as the admin must see it: bidirectional controls (U+202E turns
// "gpj.exe" into what reads as "exe.jpg") are shown as their code, never obeyed.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const visible = (text) => String(text).replace(
  BIDI_CONTROLS, (c) => `[U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}]`);
const setText = (id, value) => { $(id).textContent = value === null || value === undefined ? "–" : visible(value); };
const number = (value) => new Intl.NumberFormat("fr-FR").format(value);
const when = (iso) => new Date(iso).toLocaleString("fr-FR");

// A form's errors: each problem of the API's answer next to its field (the element
// #erreur-<field>, the field marked aria-invalid and focused), the rest in #<generalId>.
// What was typed is never cleared.
function clearFieldErrors(form, fields, generalId) {
  fields.forEach((name) => {
    setText(`erreur-${name}`, "");
    form.elements[name].removeAttribute("aria-invalid");
  });
  $(generalId).textContent = "";
}

function showFieldErrors(form, fields, error, generalId) {
  const problems = (error.problem && error.problem.errors) || [];
  const placed = problems.filter((problem) => fields.includes(problem.field));
  placed.forEach((problem) => {
    $(`erreur-${problem.field}`).textContent = problem.detail;
    form.elements[problem.field].setAttribute("aria-invalid", "true");
  });
  if (placed.length) form.elements[placed[0].field].focus();
  else $(generalId).textContent = error.message;
}

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

// The session is over (logged out, or revoked from the Sessions page): stop following the
// event stream and show the login form.
function signedOut() {
  if (stream) stream.close();
  stream = null;
  document.body.dataset.session = "non";
  document.querySelectorAll("dialog[open]").forEach((dialog) => dialog.close());
  showLogin();
}

// The server no longer knows the session (revoked by an admin, expired): the login form,
// saying why. What was typed in the page's forms stays for after the new login.
function sessionEnded() {
  signedOut();
  $("erreur-identifiant").textContent = "Votre session a pris fin : reconnectez-vous pour continuer.";
}

async function logout() {
  try {
    await api("POST", "/auth/logout");
  } finally {
    signedOut();
  }
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "—" : visible(text);
  return td;
}

let me = null;

// What each page loads, and reloads when the event stream says something changed: each
// page's own script (static/<page>.js, loaded after this one) registers
// PAGES[<data-page>] = {load, setup}; `setup` (optional) wires its forms once.
const PAGES = {};

let stream = null;
let pending = null;
const current = () => PAGES[document.body.dataset.page];

function follow() {
  stream = new EventSource("/events");
  const badge = (text, state) => {  // the dashboard shows whether the stream is live
    const shown = $("direct");
    if (shown) { shown.textContent = text; shown.className = `pastille ${state}`; }
  };
  stream.addEventListener("open", () => badge("en direct", "ok"));
  stream.addEventListener("error", async () => {
    badge("reconnexion…", "");
    // A stream the browser gave up (a 401: it never retries) means the session may be over.
    if (stream && stream.readyState === EventSource.CLOSED) {
      stream = null;
      if (await whoAmI() === null) sessionEnded();
      else follow();
    }
  });
  const refresh = () => {
    clearTimeout(pending);  // a burst of changes: one reload
    pending = setTimeout(() => current().load().catch((error) => {
      if (error.status !== 401) throw error;  // a 401 has shown the login form already
    }), 200);
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
  await current().load();
  if (!stream) follow();
}

document.addEventListener("DOMContentLoaded", () => {
  $("formulaire-connexion").addEventListener("submit", login);
  if (current().setup) current().setup();
  $("deconnexion").addEventListener("click", logout);
  start();
});

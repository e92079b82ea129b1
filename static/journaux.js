// Journaux: the activity log with its filters and pages (reloaded as it is when the event
// stream says something changed), and the server log followed live: polled every 2 s with
// `apres`, only while the page is visible and not paused.
"use strict";

const JOURNAL_PAGE = 50;
const JOURNAL_FILTERS = ["username", "action", "entity", "depuis", "jusqu_a"];
const SERVER_POLL_MS = 2000;
const SERVER_LINES_SHOWN = 500;

// The filters the API last accepted and the page shown: a reload keeps both, and what is
// typed in the form counts only once submitted.
const journal = {filters: {}, offset: 0};

// What the page's selects call an action or a type; a code they do not know is shown as it is.
function optionLabel(selectId, value) {
  const option = Array.from($(selectId).options).find((candidate) => candidate.value === value);
  return option && value ? option.textContent : value;
}

function activityRow(line) {
  const row = document.createElement("tr");
  const action = cell(optionLabel("filtre-action", line.action));
  action.title = line.action;
  let kind = line.entity ? optionLabel("filtre-entity", line.entity) : "";
  if (line.entity_id !== null && line.entity_id !== undefined) kind += ` n° ${line.entity_id}`;
  row.append(cell(when(line.at)), cell(line.username), cell(line.hostname || line.address),
             action, cell(kind || null), cell(line.summary));
  return row;
}

function activityPath(filters, offset) {
  const params = new URLSearchParams({limit: String(JOURNAL_PAGE), offset: String(offset)});
  Object.entries(filters).forEach(([name, value]) => { if (value) params.set(name, value); });
  return `/stats/activity/recent?${params}`;
}

// Show one page of the lines matching `filters`; an invalid filter is thrown (the 422) and
// leaves the table as it was.
async function showJournal(filters, offset) {
  let {items, total} = await apiPage(activityPath(filters, offset));
  if (!items.length && offset > 0 && total > 0) {  // lines purged meanwhile: the last page
    offset = Math.floor((total - 1) / JOURNAL_PAGE) * JOURNAL_PAGE;
    ({items, total} = await apiPage(activityPath(filters, offset)));
  }
  journal.filters = filters;
  journal.offset = offset;
  if (items.length) {
    $("journal-liste").replaceChildren(...items.map(activityRow));
  } else {
    const empty = cell("Aucune ligne pour ces filtres.");
    empty.colSpan = 6;
    const row = document.createElement("tr");
    row.appendChild(empty);
    $("journal-liste").replaceChildren(row);
  }
  setText("journal-position", items.length
    ? `lignes ${number(offset + 1)}–${number(offset + items.length)} sur ${number(total)}`
    : "aucune ligne");
  $("page-precedente").disabled = offset === 0;
  $("page-suivante").disabled = offset + items.length >= total;
}

async function loadJournal() {
  startServerLog();
  try {
    await showJournal(journal.filters, journal.offset);
  } catch (error) {
    $("erreur-journal").textContent = error.message;
  }
}

async function applyFilters(event) {
  event.preventDefault();
  const form = $("filtre-journal");
  clearFieldErrors(form, JOURNAL_FILTERS, "erreur-journal");
  const filters = {};
  JOURNAL_FILTERS.forEach((name) => { filters[name] = form.elements[name].value.trim(); });
  try {
    await showJournal(filters, 0);
  } catch (error) {
    showFieldErrors(form, JOURNAL_FILTERS, error, "erreur-journal");  // what was typed stays
  }
}

async function clearFilters() {
  const form = $("filtre-journal");
  form.reset();
  clearFieldErrors(form, JOURNAL_FILTERS, "erreur-journal");
  try {
    await showJournal({}, 0);
  } catch (error) {
    $("erreur-journal").textContent = error.message;
  }
}

async function turnPage(step) {
  $("erreur-journal").textContent = "";
  try {
    await showJournal(journal.filters, Math.max(0, journal.offset + step * JOURNAL_PAGE));
  } catch (error) {
    $("erreur-journal").textContent = error.message;
  }
}

// --- the server log ------------------------------------------------------------------------

// `last`: the id of the newest line shown; `round`: bumped when the list is emptied, so that
// an answer asked for before is dropped.
const serverLog = {last: 0, round: 0, paused: false, busy: false, timer: null};

function serverState(text, state) {
  const badge = $("serveur-etat");
  if (badge.textContent !== text) badge.textContent = text;
  badge.className = `pastille ${state}`;
}

function serverLine(line) {
  const item = document.createElement("li");
  item.className = `niveau-${String(line.niveau).toLowerCase()}`;
  const at = document.createElement("time");
  at.dateTime = line.at;
  at.textContent = when(line.at);
  const parts = [at];
  for (const [kind, text] of [["niveau", line.niveau], ["source", line.source], ["message", line.message]]) {
    const part = document.createElement("span");
    part.className = kind;
    part.textContent = visible(text);
    parts.push(part);
  }
  parts.forEach((part, index) => item.append(...(index ? [" ", part] : [part])));
  return item;
}

async function pollServerLog() {
  if (serverLog.busy || serverLog.paused || document.visibilityState !== "visible"
      || document.body.dataset.session !== "oui") return;
  serverLog.busy = true;
  const round = serverLog.round;
  const params = new URLSearchParams({apres: String(serverLog.last),
                                      limit: String(serverLog.last ? SERVER_LINES_SHOWN : 200)});
  if ($("serveur-niveau").value) params.set("niveau", $("serveur-niveau").value);
  try {
    const answer = await api("GET", `/admin/server-log?${params}`);
    if (round !== serverLog.round) return;
    const list = $("serveur-lignes");
    if (answer.dernier < serverLog.last) list.replaceChildren();  // the server restarted
    const following = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
    list.append(...answer.lignes.map(serverLine));
    while (list.childElementCount > SERVER_LINES_SHOWN) list.firstElementChild.remove();
    if (following) list.scrollTop = list.scrollHeight;
    serverLog.last = answer.dernier;
    serverState("en direct", "ok");
  } catch (error) {
    if (error.status === 401) return;  // session revoked meanwhile: admin.js said so
    serverState(`interrompu : ${error.message}`, "");
  } finally {
    if (round === serverLog.round) serverLog.busy = false;
  }
}

function startServerLog() {
  if (serverLog.timer === null) serverLog.timer = setInterval(pollServerLog, SERVER_POLL_MS);
  pollServerLog();
}

function restartServerLog() {
  serverLog.round += 1;
  serverLog.last = 0;
  serverLog.busy = false;
  $("serveur-lignes").replaceChildren();
  pollServerLog();
}

function togglePause() {
  serverLog.paused = !serverLog.paused;
  const button = $("serveur-pause");
  button.setAttribute("aria-pressed", String(serverLog.paused));
  button.textContent = serverLog.paused ? "Reprendre" : "Mettre en pause";
  if (serverLog.paused) serverState("en pause", "");
  else pollServerLog();
}

PAGES["journaux"] = {
  load: loadJournal,
  setup: () => {
    $("filtre-journal").addEventListener("submit", applyFilters);
    $("filtre-effacer").addEventListener("click", clearFilters);
    $("page-precedente").addEventListener("click", () => turnPage(-1));
    $("page-suivante").addEventListener("click", () => turnPage(1));
    $("filtre-serveur").addEventListener("submit", (event) => event.preventDefault());
    $("serveur-niveau").addEventListener("change", restartServerLog);
    $("serveur-pause").addEventListener("click", togglePause);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && serverLog.timer !== null) pollServerLog();
    });
  },
};

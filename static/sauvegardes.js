// Sauvegardes: the list of backups, make one, import one made elsewhere, download, delete, and
// restore (after seeing what will be replaced, confirmed by typing the backup's name).
"use strict";

const TRIGGERS = {manuel: "manuelle", auto: "automatique", avant_restauration: "avant restauration",
                  importee: "importée"};
// What a restore replaces: the key of a backup's `counts` (and of /admin/backups/live-counts,
// the database in service counted the same way), and its label.
const REPLACED = [["missions", "Missions"], ["voyages", "Voyages"], ["chauffeurs", "Chauffeurs"],
                  ["absences", "Absences"], ["competences", "Compétences des chauffeurs"],
                  ["skills", "Catalogue des compétences"]];

let listing = 0;        // the latest listing asked for: an older answer arriving late is dropped
let restoring = null;   // the backup the restore dialog is about
let deleting = null;    // the backup the delete dialog is about
let busy = false;       // a restore or a delete is being sent: its dialog stays open
let opener = null;      // {name, action} of the row's control that opened a dialog, refocused after

const say = (text) => { $("sauvegardes-etat").textContent = text; };
const decimal = new Intl.NumberFormat("fr-FR", {maximumFractionDigits: 1});
const backupPath = (name) => `/admin/backups/${encodeURIComponent(name)}`;
const plural = (n, word) => `${number(n)}\u00a0${word}${n > 1 ? "s" : ""}`;
const described = (path, text) => text ? `${path}?description=${encodeURIComponent(text)}` : path;

function size(bytes) {
  for (const [unit, value] of [["Gio", 2 ** 30], ["Mio", 2 ** 20], ["Kio", 2 ** 10]]) {
    if (bytes >= value) return `${decimal.format(bytes / value)} ${unit}`;
  }
  return `${number(bytes)} o`;
}

function origin(backup) {
  const word = TRIGGERS[backup.trigger] || backup.trigger || "inconnue";
  if (backup.trigger !== "importee") return word;
  const first = TRIGGERS[backup.original_trigger] || backup.original_trigger;
  const day = backup.imported_at && new Date(backup.imported_at).toLocaleDateString("fr-FR");
  return word + (day ? ` le ${day}` : "") + (first ? ` (à l'origine : ${first})` : "");
}

function summary(counts) {
  if (!counts) return null;
  return `${plural(counts.missions, "mission")} · ${plural(counts.voyages, "voyage")} · `
         + `${plural(counts.chauffeurs, "chauffeur")}`;
}

// A refused session (revoked, expired): admin.js has shown the login form, saying why; the
// page only stops what it was doing. What was typed in the forms stays for after it.
const ended = (error) => error.status === 401;

function fieldError(form, name, text) {
  $(`erreur-${name}`).textContent = text;
  form.elements[name].setAttribute("aria-invalid", "true");
  form.elements[name].focus();
}

function control(tag, label, backup, action, click) {
  const element = document.createElement(tag);
  element.textContent = label;
  element.dataset.action = action;
  element.setAttribute("aria-label", `${label} ${backup.name}`);
  if (click) {
    element.type = "button";
    element.addEventListener("click", () => click(backup));
  }
  return element;
}

function row(backup) {
  const tr = document.createElement("tr");
  tr.dataset.backup = backup.name;
  const integrity = cell(backup.integrity === "ok" ? "vérifiée" : backup.integrity || "inconnue");
  integrity.classList.toggle("alerte", backup.integrity !== "ok");
  tr.append(cell(when(backup.created_at)), Object.assign(cell(backup.name), {className: "nom"}),
            cell(origin(backup)), cell(backup.description || null),
            cell(backup.created_by), cell(size(backup.size)), integrity, cell(summary(backup.counts)));
  const actions = Object.assign(document.createElement("td"), {className: "actions"});
  const download = control("a", "Télécharger", backup, "telecharger");
  download.href = `${backupPath(backup.name)}/download`;
  download.download = backup.name;
  actions.append(download, control("button", "Restaurer", backup, "restaurer", openRestore),
                 control("button", "Supprimer", backup, "supprimer", openDelete));
  tr.appendChild(actions);
  return tr;
}

const rowControl = (wanted) => wanted && [...$("sauvegardes-liste").rows]
  .find((tr) => tr.dataset.backup === wanted.name)?.querySelector(`[data-action="${wanted.action}"]`);

async function loadBackups() {
  const mine = ++listing;
  let backups;
  try {
    backups = await api("GET", "/admin/backups");
  } catch (error) {
    if (!ended(error)) $("erreur-sauvegardes").textContent = error.message;
    return;
  }
  if (mine !== listing) return;
  $("erreur-sauvegardes").textContent = "";
  // A reload (the event stream) must not take the keyboard's place away.
  const active = document.activeElement;
  const focused = active && active.closest("#sauvegardes-liste")
    ? {name: active.closest("tr").dataset.backup, action: active.dataset.action} : null;
  $("sauvegardes-liste").replaceChildren(...backups.map(row));
  if (focused) (rowControl(focused) || $("nouvelle-description")).focus();
  const bytes = backups.reduce((total, backup) => total + backup.size, 0);
  setText("sauvegardes-total", backups.length
    ? `${plural(backups.length, "sauvegarde")}, ${size(bytes)} au total.`
    : "Aucune sauvegarde pour l'instant.");
}

async function createBackup(event) {
  event.preventDefault();
  const form = event.target, button = form.querySelector("button");
  clearFieldErrors(form, ["description"], "erreur-creation");
  button.disabled = true;
  say("Sauvegarde en cours…");
  try {
    const made = await api("POST", described("/admin/backups", form.elements.description.value));
    form.reset();
    say(`Sauvegarde ${made.name} faite (${size(made.size)}).`);
  } catch (error) {
    say("");
    if (ended(error)) return;
    showFieldErrors(form, ["description"], error, "erreur-creation");  // what was typed stays
  } finally {
    button.disabled = false;
  }
  await loadBackups();
}

function importError(form, error) {
  const problems = (error.problem && error.problem.errors) || [];
  const bad = problems.find((problem) => problem.field === "description");
  if (bad) return fieldError(form, "description_import", bad.detail);
  if (!error.status) {  // no answer: the connection was cut while sending (a file too large?)
    return fieldError(form, "fichier", "L'envoi a été interrompu : le fichier dépasse peut-être la "
                                       + "taille permise par le serveur, ou la connexion a été coupée.");
  }
  if ([400, 413, 422].includes(error.status)) return fieldError(form, "fichier", error.message);
  $("erreur-import").textContent = error.message;  // 409 (one import at a time), 503 (disk full)
}

async function importBackup(event) {
  event.preventDefault();
  const form = event.target, button = form.querySelector("button");
  clearFieldErrors(form, ["fichier", "description_import"], "erreur-import");
  const file = form.elements.fichier.files[0];
  if (!file) return fieldError(form, "fichier", "Choisissez le fichier de la sauvegarde à importer.");
  const description = form.elements.description_import.value;  // empty: the file's own
  button.disabled = true;
  button.textContent = "Envoi en cours…";
  say(`Envoi de ${file.name} (${size(file.size)}) en cours…`);
  try {
    const imported = await api("POST", described("/admin/backups/upload", description), file);
    form.reset();
    say(`Sauvegarde importée sous le nom ${imported.name}.`);
  } catch (error) {
    say("");
    if (ended(error)) return;
    importError(form, error);
  } finally {
    button.disabled = false;
    button.textContent = "Importer";
  }
  await loadBackups();
}

function openDelete(backup) {
  deleting = backup;
  opener = {name: backup.name, action: "supprimer"};
  setText("suppression-nom", backup.name);
  $("erreur-suppression").textContent = "";
  $("dialogue-suppression").showModal();
  $("dialogue-suppression").querySelector(".annuler").focus();  // the harmless choice first
}

// Live figures still loading are null ("…"); a backup that does not say is undefined.
function showCounts(backup, live) {
  const figure = (value) => cell(value === undefined ? "non compté"
                                 : value === null ? "…" : number(value));
  $("restauration-lignes").replaceChildren(...REPLACED.map(([key, label]) => {
    const tr = document.createElement("tr");
    tr.append(Object.assign(document.createElement("th"), {scope: "row", textContent: label}),
              figure(live ? live[key] : null),
              figure(backup.counts ? backup.counts[key] : undefined));
    return tr;
  }));
}

// The planning in service at the moment the dialog opens.
const liveCounts = () => api("GET", "/admin/backups/live-counts");

// The dialogs' buttons: none while one is sent; Restaurer only once the name typed is exact.
function matchName() {
  const typed = $("restauration-confirmation").value;
  $("formulaire-restauration").querySelector("button[type=submit]").disabled =
    busy || !restoring || typed !== restoring.name;
  $("formulaire-suppression").querySelector("button[type=submit]").disabled = busy;
}

async function openRestore(backup) {
  restoring = backup;
  setText("restauration-nom", backup.name);
  setText("restauration-attendu", backup.name);
  $("restauration-sauvegarde").textContent = visible(`Sauvegarde du ${when(backup.created_at)} (${origin(backup)}`
    + `, par ${backup.created_by || "auteur inconnu"})`
    + (backup.description ? ` : « ${backup.description} »` : "") + ".");
  const input = $("restauration-confirmation");
  input.value = "";
  input.removeAttribute("aria-invalid");
  $("erreur-confirmation").textContent = "";
  matchName();
  showCounts(backup, null);
  opener = {name: backup.name, action: "restaurer"};
  $("dialogue-restauration").showModal();
  input.focus();
  try {
    const live = await liveCounts();
    if (restoring === backup) showCounts(backup, live);
  } catch (error) {
    if (!ended(error)) $("erreur-confirmation").textContent = error.message;
  }
}

// Send a dialog's action: the dialog stays open (Escape too) until the answer, closes on
// success, and shows the API's French refusal inside it otherwise.
async function sending(dialog, errorId, work) {
  busy = true;
  matchName();
  $(errorId).textContent = "";
  try {
    await work();
    dialog.close();
  } catch (error) {
    say("");
    if (!ended(error)) $(errorId).textContent = error.message;
  } finally {
    busy = false;
    matchName();
  }
  await loadBackups();
}

async function confirmDelete(event) {
  event.preventDefault();
  const backup = deleting;
  await sending($("dialogue-suppression"), "erreur-suppression", async () => {
    await api("DELETE", backupPath(backup.name));
    say(`Sauvegarde ${backup.name} supprimée.`);
  });
}

async function confirmRestore(event) {
  event.preventDefault();
  const backup = restoring;
  if (busy || $("restauration-confirmation").value !== backup.name) return;
  say(`Restauration de ${backup.name} en cours…`);
  await sending($("dialogue-restauration"), "erreur-confirmation", async () => {
    const report = await api("POST", `/admin/backups/restore/${encodeURIComponent(backup.name)}`);
    say(`Sauvegarde ${report.name} restaurée en ${decimal.format(report.seconds)} s `
        + `(${summary(report.counts)}). L'état remplacé est gardé dans la sauvegarde `
        + `${report.before} : restaurez-la pour revenir en arrière.`);
  });
}

function wireDialog(id, submit) {
  const dialog = $(id);
  dialog.querySelector("form").addEventListener("submit", submit);
  dialog.querySelector(".annuler").addEventListener("click", () => dialog.close());
  dialog.addEventListener("cancel", (event) => { if (busy) event.preventDefault(); });  // Escape
  dialog.addEventListener("close", () => {
    if ($("contenu").hidden) return;  // the session ended: the login form has the focus
    (rowControl(opener) || $("sauvegardes-etat")).focus();  // a deleted row: the message
  });
}

PAGES["sauvegardes"] = {
  load: loadBackups,
  setup: () => {
    $("nouvelle-sauvegarde").addEventListener("submit", createBackup);
    $("import-sauvegarde").addEventListener("submit", importBackup);
    $("restauration-confirmation").addEventListener("input", matchName);
    wireDialog("dialogue-suppression", confirmDelete);
    wireDialog("dialogue-restauration", confirmRestore);
  },
};

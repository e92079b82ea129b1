// Configuration: the settings that change without a restart (PATCH /admin/config, only what
// the admin changed; "Rétablir" sends null to return to the .env value), and every
// TOMATOPLAN_* variable in force with where its value comes from.
"use strict";

const SETTINGS_FIELDS = ["auto_backup_hour", "backup_retention_days", "log_level",
                         "allowed_networks", "token_ttl_hours"];
let loadedSettings = {};

// What the form shows for a value of the API, and the value the API wants back.
const settingText = (name, value) => name === "allowed_networks" ? value.join(", ") : String(value);

function settingValue(name, text) {
  if (name === "log_level") return text;
  if (name === "allowed_networks") return text.split(/[,;\s]+/).filter(Boolean);
  return text.trim() === "" ? text : Number(text);  // an empty number: the API says it is missing
}

function settingOrigin(row) {
  const origin = document.createElement("p");
  origin.className = "detail";
  origin.id = `origine-${row.cle}`;
  if (row.source !== "administration") {
    origin.textContent = `Origine : ${row.source}.`;
    return origin;
  }
  origin.textContent = `Modifié par ${row.modifiee_par} le ${when(row.modifiee_le)} `
                       + `(fichier : ${row.valeur_fichier || "(vide)"}). `;
  const reset = document.createElement("button");
  reset.type = "button";
  reset.textContent = "Rétablir";
  reset.setAttribute("aria-label", `Rétablir ${row.nom} à la valeur du fichier`);
  reset.addEventListener("click", () => saveSettings({[row.cle]: null}));
  origin.appendChild(reset);
  return origin;
}

async function loadConfiguration() {
  const body = await api("GET", "/admin/config");
  const form = $("reglages");
  loadedSettings = body.modifiables;
  for (const name of SETTINGS_FIELDS) {
    const field = form.elements[name];
    if (field.dataset.modifie !== "oui") field.value = settingText(name, body.modifiables[name]);
  }
  const next = body.prochaine_sauvegarde;  // the server's local time, "2024-01-15T04:00"
  setText("prochaine-sauvegarde", next
    ? `${next.slice(8, 10)}/${next.slice(5, 7)}/${next.slice(0, 4)} à ${next.slice(11, 16)} (heure du serveur)`
    : "désactivée (TOMATOPLAN_AUTO_BACKUP_ENABLED)");
  for (const row of body.parametres.filter((setting) => setting.modifiable)) {
    const old = $(`origine-${row.cle}`);  // under its field: where its value comes from
    if (old) old.remove();
    form.elements[row.cle].parentElement.appendChild(settingOrigin(row));
  }
  $("configuration-liste").replaceChildren(...body.parametres.map((row) => {
    const line = document.createElement("tr");
    line.dataset.variable = row.nom;
    const value = cell(row.valeur === "" ? "(vide)" : row.valeur);
    if (row.masquee) value.classList.add("masquee");
    line.append(cell(row.nom), value, cell(row.source), cell(row.description));
    return line;
  }));
}

async function saveSettings(changes) {
  const form = $("reglages");
  clearFieldErrors(form, SETTINGS_FIELDS, "erreur-reglages");
  setText("reglages-faits", "");
  if (Object.keys(changes).length === 0) {
    setText("reglages-faits", "Aucun changement à enregistrer.");
    return;
  }
  try {
    await api("PATCH", "/admin/config", changes);
  } catch (error) {
    showFieldErrors(form, SETTINGS_FIELDS, error, "erreur-reglages");  // what was typed stays
    return;
  }
  Object.keys(changes).forEach((name) => { delete form.elements[name].dataset.modifie; });
  setText("reglages-faits", "Réglages enregistrés et appliqués.");
  await loadConfiguration();
}

function submitSettings(event) {
  event.preventDefault();
  const form = event.target;
  const changes = {};
  for (const name of SETTINGS_FIELDS) {  // only what the admin changed
    const text = form.elements[name].value;
    if (text !== settingText(name, loadedSettings[name])) changes[name] = settingValue(name, text);
  }
  return saveSettings(changes);
}

PAGES["configuration"] = {
  load: loadConfiguration,
  setup: () => {
    const form = $("reglages");
    form.addEventListener("submit", submitSettings);
    // A reload from the event stream leaves alone what the admin is typing.
    form.addEventListener("input", (event) => { event.target.dataset.modifie = "oui"; });
  },
};

// Tableau de bord: the day's figures, the last backup, the recent activity (reloaded by
// admin.js when the event stream says something changed).
"use strict";

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
    cell.textContent = visible(value);
    row.appendChild(cell);
  }
  return row;
}

async function loadActivity() {
  const lines = await api("GET", "/stats/activity/recent?limit=15");
  $("activite").replaceChildren(...lines.map(activityRow));
}

PAGES["tableau-de-bord"] = {load: () => Promise.all([loadDashboard(), loadActivity()])};

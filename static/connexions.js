// Sessions: who is connected from which PC since when; revoke one.
"use strict";

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
  if (mine) return signedOut();
  await loadSessions();
}

PAGES["connexions"] = {load: loadSessions};

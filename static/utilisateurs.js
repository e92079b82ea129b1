// Utilisateurs: list, create, change role, deactivate and reactivate, with the API's rules.
"use strict";

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
    // Saved by its own button: on a closed list, each arrow key is a "change" in some browsers,
    // and a role change revokes the user's sessions.
    const apply = document.createElement("button");
    apply.type = "button";
    apply.textContent = "Appliquer";
    apply.hidden = true;
    apply.setAttribute("aria-label", `Appliquer le rôle de ${user.username}`);
    select.addEventListener("change", () => { apply.hidden = select.value === user.role; });
    apply.addEventListener("click", () => changeUser(user, "PUT", {role: select.value}));
    roleCell.append(select, apply);
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
  clearFieldErrors(form, fields, "erreur-utilisateurs");
  const body = {username: form.elements.username.value, role: form.elements.role.value};
  if (form.elements.display_name.value) body.display_name = form.elements.display_name.value;
  try {
    await api("POST", "/admin/users", body);
  } catch (error) {
    showFieldErrors(form, fields, error, "erreur-utilisateurs");
    return;
  }
  form.reset();
  await loadUsers();
}

PAGES["utilisateurs"] = {
  load: loadUsers,
  setup: () => $("nouvel-utilisateur").addEventListener("submit", createUser),
};

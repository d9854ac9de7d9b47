// Login posts to the API, which sets the httponly login cookie; then on to the page asked for.
const form = document.getElementById("login-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  const data = Object.fromEntries(new FormData(form));
  const response = await fetch("/api/login", {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(data)});
  if (response.ok) { window.location.href = form.dataset.next || "/sessions"; return; }
  const body = await response.json().catch(() => ({}));
  showError(error, body.detail || "Login failed");
});

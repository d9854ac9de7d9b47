// Shared by every page: JSON calls that send people back to the login page when their login has expired.
// Every call carries the page's CSRF token: the server refuses cookie-signed changes without it.
function csrfHeaders() {
  const token = document.querySelector('meta[name="csrf-token"]')?.content;
  return token ? {"X-CSRF-Token": token} : {};
}
async function api(path, options = {}) {
  const headers = {"Content-Type": "application/json", ...csrfHeaders(), ...(options.headers || {})};
  const response = await fetch(path, {credentials: "same-origin", ...options, headers});
  if (response.status === 401) {
    window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
    throw new Error("login expired");
  }
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const reasons = body && body.errors ? ": " + body.errors.map(e => `${e.field} ${e.reason}`).join("; ") : "";
    throw new Error(((body && body.detail) || response.statusText) + reasons);
  }
  return body;
}
function showError(element, message) { element.textContent = message; element.hidden = !message; }
document.getElementById("logout")?.addEventListener("click", async () => {
  await fetch("/api/logout", {method: "POST", credentials: "same-origin", headers: csrfHeaders()});
  window.location.href = "/login";
});

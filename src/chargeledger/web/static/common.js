// Shared by every page: JSON calls that send people back to the login page when their login has expired.
async function api(path, options = {}) {
  const response = await fetch(path, {credentials: "same-origin", headers: {"Content-Type": "application/json"}, ...options});
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
  await fetch("/api/logout", {method: "POST", credentials: "same-origin"});
  window.location.href = "/login";
});

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

// Times: 24-hour, in one zone for the whole page (the site's, as the server rendered them); the zone switch shows
// every <time datetime> and chart in the viewer's own zone instead, and back.
function formatTime(iso, zone) {
  const parts = new Intl.DateTimeFormat("en-CA", {timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"}).formatToParts(new Date(iso));
  const p = Object.fromEntries(parts.map(x => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}
function viewZone() {
  return document.body.dataset.viewZone || document.getElementById("zone-switch")?.dataset.siteZone || "UTC";
}
document.getElementById("zone-switch")?.addEventListener("click", e => {
  const button = e.currentTarget, site = button.dataset.siteZone;
  const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const toMine = viewZone() === site;
  document.body.dataset.viewZone = toMine ? mine : site;
  document.getElementById("zone-name").textContent = viewZone();
  document.getElementById("zone-kind").textContent = toMine ? "your time zone" : "the site's time zone";
  button.textContent = toMine ? "Show in the site's time zone" : "Show in my time zone";
  document.querySelectorAll("time[datetime]").forEach(t => { t.textContent = formatTime(t.getAttribute("datetime"), viewZone()); });
  document.dispatchEvent(new CustomEvent("zonechange"));
});

// Tokens page: add a token and block one through the tokens API (/api/tokens), then show the list again.
const tokenError = document.getElementById("token-error");
document.getElementById("token-add")?.addEventListener("submit", async e => {
  e.preventDefault();
  showError(tokenError, "");
  const body = {};
  for (const [name, value] of new FormData(e.target)) if (value.trim()) body[name] = value.trim();
  // datetime-local has no zone: it is read as the computer's local time and sent with its offset (as UTC)
  if (body.expires_at) body.expires_at = new Date(body.expires_at).toISOString();
  try {
    await api("/api/tokens", {method: "POST", body: JSON.stringify(body)});
    window.location.href = "/tokens?search=" + encodeURIComponent(body.uid);
  } catch (err) { showError(tokenError, `Adding ${body.uid} failed: ${err.message}`); }
});
document.querySelectorAll("[data-block]").forEach(button => button.addEventListener("click", async () => {
  const uid = button.dataset.block;
  if (!window.confirm(`Block ${uid}? Chargers will refuse it.`)) return;
  showError(tokenError, "");
  try {
    await api(`/api/tokens/${encodeURIComponent(uid)}/block?organisation_id=${encodeURIComponent(button.dataset.organisation)}`,
              {method: "POST"});
    window.location.reload();
  } catch (err) { showError(tokenError, `Blocking ${uid} failed: ${err.message}`); }
}));

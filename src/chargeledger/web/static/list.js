// Session list: rows open the session; live rows are refreshed from the API every few seconds.
document.querySelectorAll("#sessions tbody tr[data-href]").forEach(row => {
  row.addEventListener("click", (e) => { if (!e.target.closest("a")) window.location.href = row.dataset.href; });
  row.addEventListener("keydown", (e) => { if (e.key === "Enter") window.location.href = row.dataset.href; });
});
const LIVE = ["Pending", "Starting", "Charging", "Paused", "Stopping"];
async function refreshLive() {
  const rows = [...document.querySelectorAll("#sessions tbody tr[data-live]")];
  for (const row of rows) {
    try {
      const data = await api(`/api/sessions?q=${row.dataset.id}&limit=1`);
      const item = data.items.find(i => String(i.id) === row.dataset.id);
      if (!item) continue;
      const cell = row.children[1];
      cell.innerHTML = `<span class="status s-${item.status.toLowerCase()}">${item.status}</span>` +
        (LIVE.includes(item.status) ? ' <span class="badge live">Live</span>' : "");
      row.querySelector(".energy").textContent = `${(item.energy_wh / 1000).toLocaleString(undefined, {minimumFractionDigits: 2, maximumFractionDigits: 2})} kWh`;
      if (!LIVE.includes(item.status)) delete row.dataset.live;
    } catch (e) { if (e.message === "login expired") return; }
  }
}
if (document.querySelector("#sessions tbody tr[data-live]")) setInterval(refreshLive, 5000);

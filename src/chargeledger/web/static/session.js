// Session page behaviour: tabs, the live clock, status polling, stop/refund dialogs, flags, custom fields, logs.
const root = document.getElementById("session");
const sessionId = root.dataset.id;
const ACTIVE = ["Pending", "Starting", "Charging", "Paused", "Stopping"];

function hms(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = n => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s % 3600 / 60))}:${pad(s % 60)}`;
}

// Tabs: click or arrow keys; the Verification strip jumps to its tab.
const tabs = [...document.querySelectorAll('[role="tab"]')];
function select(tab) {
  tabs.forEach(t => {
    const on = t === tab;
    t.setAttribute("aria-selected", on); t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
  });
  tab.focus();
  if (tab.id === "tab-logs") window.loadLogs?.();
}
tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => select(tab));
  tab.addEventListener("keydown", e => {
    if (e.key === "ArrowRight") select(tabs[(i + 1) % tabs.length]);
    if (e.key === "ArrowLeft") select(tabs[(i - 1 + tabs.length) % tabs.length]);
  });
});
document.querySelector("[data-goto]")?.addEventListener("click", e => select(document.getElementById(e.currentTarget.dataset.goto)));

// Live clock and duration, ticking every second while the session is active.
if (root.dataset.active === "1" && root.dataset.started) {
  const start = Date.parse(root.dataset.started);
  const tick = () => {
    const text = hms((Date.now() - start) / 1000);
    const clock = document.getElementById("clock"); if (clock) clock.textContent = text;
    document.getElementById("kpi-duration").textContent = text;
  };
  tick(); setInterval(tick, 1000);
  // Server-sent events: the banner, KPIs, running price, chart and open log follow the session as it runs,
  // and a session that ends reloads into its final page. (EventSource reconnects by itself after a drop.)
  const live = new EventSource(`/api/sessions/${sessionId}/live`);
  const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
  live.addEventListener("figures", e => {
    const f = JSON.parse(e.data);
    set("status-name", f.status);
    set("kpi-energy", f.energy_shown);  // figures come formatted by the server, as on the page
    if (f.power_shown) set("kpi-power", f.power_shown);
    if (f.running_price) set("kpi-running-value", f.running_price.shown);  // formatted by the server, as on the page
    root.dataset.liveUpdates = String(Number(root.dataset.liveUpdates || 0) + 1);
    window.refreshTelemetry?.();
    if (!document.getElementById("panel-logs")?.hidden) window.loadLogs?.();
    if (!ACTIVE.includes(f.status)) { live.close(); window.location.reload(); }
  });
  live.addEventListener("ended", () => { live.close(); window.location.reload(); });
  // A refused (re)connection says nothing about why: one API call finds out, and a 401 goes to the login page.
  live.addEventListener("error", () => { api(`/api/sessions/${sessionId}`).catch(() => {}); });
  live.addEventListener("expired", () => {
    live.close();
    window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
  });
}

// Stop charge: confirm, then the OCPP remote stop; refused or offline shows the error and the session stays.
const stopDialog = document.getElementById("stop-dialog");
document.getElementById("stop-open")?.addEventListener("click", () => stopDialog.showModal());
stopDialog?.addEventListener("close", async () => {
  if (stopDialog.returnValue !== "confirm") return;
  const error = document.getElementById("action-error");
  showError(error, "");
  document.getElementById("status-name").textContent = "Stopping";
  try {
    const result = await api(`/api/sessions/${sessionId}/stop`, {method: "POST", body: "{}"});
    if (result && result.status) document.getElementById("status-name").textContent = result.status;
  } catch (e) {
    showError(error, "Stop failed: " + e.message);
    const d = await api(`/api/sessions/${sessionId}`).catch(() => null);
    if (d) document.getElementById("status-name").textContent = d.status;
  }
});

// End session: closes a session the charger will never end, with the operator's reason (ledger and audit trail).
const endDialog = document.getElementById("end-dialog");
document.getElementById("end-open")?.addEventListener("click", () => endDialog.showModal());
document.getElementById("end-cancel")?.addEventListener("click", () => endDialog.close());
document.getElementById("end-form")?.addEventListener("submit", async e => {
  e.preventDefault();
  try {
    await api(`/api/sessions/${sessionId}/force-close`, {method: "POST", body: JSON.stringify({why: e.currentTarget.why.value})});
    window.location.reload();
  } catch (err) { showError(document.getElementById("end-error"), err.message); }
});

// Refund: pre-filled with the refundable amount; errors stay in the dialog.
const refundDialog = document.getElementById("refund-dialog");
document.getElementById("refund-open")?.addEventListener("click", () => refundDialog.showModal());
document.getElementById("refund-cancel")?.addEventListener("click", () => refundDialog.close());
document.getElementById("refund-form")?.addEventListener("submit", async e => {
  e.preventDefault();
  const form = e.currentTarget;
  const data = Object.fromEntries(new FormData(form));
  data.idempotency_key = form.dataset.key || (form.dataset.key = `web-${sessionId}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  try {
    await api(`/api/sessions/${sessionId}/refunds`, {method: "POST", body: JSON.stringify(data)});
    window.location.reload();
  } catch (err) { showError(document.getElementById("refund-error"), err.message); delete form.dataset.key; }
});

// With VAT / Without VAT: both renderings come with the page; the toggle picks which one shows.
document.querySelectorAll("[data-vat-toggle]").forEach(button => button.addEventListener("click", () => {
  document.querySelectorAll("[data-vat-toggle]").forEach(b => {
    b.setAttribute("aria-pressed", b === button);
    document.getElementById(`breakdown-${b.dataset.vatToggle}`).hidden = b !== button;
  });
}));
document.querySelectorAll("[data-price-tab]").forEach(button => button.addEventListener("click", () => {
  document.querySelectorAll("[data-price-tab]").forEach(b => {
    b.setAttribute("aria-pressed", b === button);
    document.getElementById(b.dataset.priceTab).hidden = b !== button;
  });
}));

// Flags: resolving needs a reason, which the ledger keeps.
document.querySelectorAll(".resolve-form").forEach(form => form.addEventListener("submit", async e => {
  e.preventDefault();
  try {
    await api(`/api/sessions/${sessionId}/flags/${form.dataset.code}/resolve`,
      {method: "POST", body: JSON.stringify({reason: form.reason.value})});
    window.location.reload();
  } catch (err) { showError(form.querySelector(".error"), err.message); }
}));

// Custom fields: values are JSON scalars; anything else is refused here and by the API.
const customForm = document.getElementById("custom-form");
const original = new Set([...document.querySelectorAll('#custom-table input[name="key"]')].map(i => i.value));
function addRow(key = "", value = "") {
  const row = document.createElement("tr");
  row.innerHTML = '<td><input name="key" aria-label="field name"></td><td><input name="value" aria-label="value"></td><td><button type="button" class="link remove">Remove</button></td>';
  row.querySelector('[name="key"]').value = key; row.querySelector('[name="value"]').value = value;
  document.querySelector("#custom-table tbody").appendChild(row);
  row.querySelector('[name="key"]').focus();
}
document.getElementById("custom-add")?.addEventListener("click", () => addRow());
document.getElementById("custom-table").addEventListener("click", e => { if (e.target.matches(".remove")) e.target.closest("tr").remove(); });
customForm.addEventListener("submit", async e => {
  e.preventDefault();
  const error = document.getElementById("custom-error"), ok = document.getElementById("custom-ok");
  showError(error, ""); ok.hidden = true;
  const fields = {};
  for (const row of document.querySelectorAll("#custom-table tbody tr")) {
    const key = row.querySelector('[name="key"]').value.trim(), raw = row.querySelector('[name="value"]').value.trim();
    if (!key) { showError(error, "Every field needs a name."); return; }
    // Text as typed; a number, true/false or null as such; "quoted" keeps any of those as text.
    let value = raw;
    if (/^(true|false|null|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(raw) || /^".*"$/.test(raw)) {
      try { value = JSON.parse(raw); } catch (err) { value = raw; }
    }
    fields[key] = value;
  }
  const removed = [...original].filter(k => !(k in fields));
  try {
    await api(`/api/sessions/${sessionId}/custom-fields`, {method: "PUT", body: JSON.stringify({fields, removed})});
    removed.forEach(k => original.delete(k)); Object.keys(fields).forEach(k => original.add(k));
    ok.hidden = false;
  } catch (err) { showError(error, err.message); }
});

// Logs: the station's OCPP messages over the session's time range, widenable either side.
const logsForm = document.getElementById("logs-form");
window.loadLogs = async () => {
  if (!logsForm) return;
  const status = document.getElementById("logs-status");
  const query = new URLSearchParams({widen: logsForm.widen.value});
  try {
    const data = await api(`/api/sessions/${sessionId}/ocpp-log?${query}`);
    const items = Array.isArray(data) ? data : (data.items || data.messages || []);
    const body = document.querySelector("#logs-table tbody");
    body.replaceChildren(...items.map(m => {
      const row = document.createElement("tr");
      const payload = typeof m.payload === "string" ? m.payload : JSON.stringify(m.payload);
      [formatTime(m.time, viewZone()), m.direction === "in" ? "charge point → server" : "server → charge point",
       m.action || {2: "Call", 3: "CallResult", 4: "CallError"}[m.message_type] || "", payload].forEach((text, i) => {
        const cell = document.createElement("td"); cell.textContent = text; if (i === 3) cell.className = "mono"; row.appendChild(cell);
      });
      return row;
    }));
    status.textContent = `${items.length} message(s)`;
  } catch (err) { status.textContent = err.message; }
};
logsForm?.addEventListener("submit", e => { e.preventDefault(); window.loadLogs(); });
document.addEventListener("zonechange", () => { if (!document.getElementById("panel-logs")?.hidden) window.loadLogs(); });

// Telemetry and consumption charts (uPlot), from the server's down-sampled chart data.
(async () => {
  const root = document.getElementById("session");
  if (typeof uPlot === "undefined") return;
  const SERIES = [
    {key: "power_kw", label: "Power (kW)", color: "#1f6feb", scale: "kW"},
    {key: "energy_kwh", label: "Energy (kWh)", color: "#0f9d58", scale: "kWh"},
    {key: "current_a", label: "Current (A)", color: "#b26a00", scale: "A"},
    {key: "voltage_v", label: "Voltage (V)", color: "#8e24aa", scale: "V"},
    {key: "soc_percent", label: "State of charge (%)", color: "#c62828", scale: "%"},
    // the charge profile's limit, on the power axis: a dashed step line (web/schedule_limit.py)
    {key: "limit_kw", label: "Power limit (kW)", color: "#37474f", scale: "kW", step: true},
  ];
  const card = document.getElementById("telemetry-card");
  const width = () => Math.max(280, card.clientWidth - 40);
  let data;
  try { data = await api(`/api/sessions/${root.dataset.id}/chart`); } catch (e) { return; }
  // 24-hour labels and wider tick spacing: 12-hour labels ran into each other on hourly bars.
  // The axis reads the page's zone each time it draws, so the zone switch applies to the charts too.
  const hhmm = t => formatTime(t * 1000, viewZone()).slice(11, 16);
  const when = t => formatTime(t * 1000, viewZone()).slice(0, 16);  // for the charts' text alternatives
  // ticks less than a minute apart (a session in its first minutes) need the seconds, or every label reads the same
  // and whole seconds at least (uPlot would tick every half second)
  const timeAxis = {space: 70, incrs: [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
                                       86400, 172800, 604800],
                    values: (u, ticks) => ticks.map(
    ticks.length > 1 && ticks[1] - ticks[0] < 60 ? t => formatTime(t * 1000, viewZone()).slice(11, 19) : hhmm)};
  const zoneNote = () => { document.getElementById("chart-zone").textContent = `Times in ${viewZone()}.`; };
  zoneNote();

  // Every measurand has its own scale and its own axis; an axis shows only while its series does, so no line
  // is ever read against another unit's axis. Power and energy are on by default, the rest one click away.
  const DEFAULT_ON = new Set(["power_kw", "energy_kwh", "limit_kw"]);
  const tEl = document.getElementById("chart-telemetry"), cEl = document.getElementById("chart-consumption");
  const tabs = document.getElementById("chart-tabs"), toggles = document.getElementById("series-toggles");
  const on = {};  // series key → shown: the viewer's choices, kept while live readings redraw the chart
  let view = null, telemetryPlot = null, consumptionPlot = null;
  const shownSeries = () => SERIES.filter(s => data.telemetry && data.telemetry[s.key]);

  // A toggle draws the chart again with the chosen series: uPlot cannot show an axis that was built hidden
  // (it threw "o.space is not a function" for Current, Voltage and SoC).
  function drawTelemetry() {
    const visible = shownSeries().filter(s => on[s.key]);
    // one axis per scale: the power limit is read against the power axis, not an axis of its own
    const scaled = visible.filter((s, i) => visible.findIndex(o => o.scale === s.scale) === i);
    const axes = scaled.map((s, i) => ({scale: s.scale, label: s.label, stroke: s.color, side: i % 2 ? 1 : 3,
                                        grid: {show: i === 0}}));
    const plot = new uPlot({
      width: width(), height: 300, legend: {show: true},
      scales: {x: {time: true}},
      axes: [{...timeAxis}, ...axes],
      series: [{}, ...visible.map(s => ({label: s.label, stroke: s.color, width: 2, scale: s.scale, spanGaps: true,
                                         ...(s.step ? {paths: uPlot.paths.stepped({align: 1}), dash: [8, 4]} : {})}))],
    }, [data.telemetry.time, ...visible.map(s => data.telemetry[s.key])], tEl);
    telemetryPlot?.destroy();
    telemetryPlot = plot;
    tEl.setAttribute("aria-label", "Telemetry chart: " + (visible.map(s => s.label).join(", ") || "no series shown") +
                     (data.limit && visible.some(s => s.step) ? ". " + data.limit.text : ""));
  }

  // One checkbox per series the readings have; a series that first arrives while the session runs (a charger
  // often sends only the register before the current flows) gets its checkbox then, the others keep theirs.
  function syncToggles() {
    const shown = shownSeries(), first = !Object.keys(on).length;
    const fresh = shown.filter(s => !(s.key in on));
    if (!fresh.length) return;
    fresh.forEach(s => { on[s.key] = DEFAULT_ON.has(s.key) || shown.length <= 2; });
    if (first && !shown.some(s => on[s.key])) on[shown[0].key] = true;
    toggles.querySelectorAll("label").forEach(l => l.remove());
    shown.forEach(s => {
      const label = document.createElement("label");
      label.innerHTML = `<input type="checkbox" ${on[s.key] ? "checked" : ""} data-series="${s.key}"> ` +
                        `<span class="swatch">■</span> ${s.label}`;
      label.querySelector(".swatch").style.color = s.color;  // set via the DOM: the CSP forbids style attributes
      label.querySelector("input").addEventListener("change", e => { on[s.key] = e.target.checked; drawTelemetry(); });
      toggles.appendChild(label);
    });
  }

  function drawConsumption() {
    consumptionPlot?.destroy();
    consumptionPlot = null;
    cEl.replaceChildren();
    if (data.hourly.length) {
      consumptionPlot = new uPlot({
        width: width(), height: 300,
        scales: {x: {time: true, range: () => [data.hourly[0].hour, data.hourly[data.hourly.length - 1].hour + 3600]},
                 y: {range: (u, min, max) => [0, Math.max(max, 0.1) * 1.1]}},
        axes: [{...timeAxis}, {label: "kWh per hour"}],
        series: [{}, {label: "kWh per hour", fill: "rgba(31,111,235,.55)", stroke: "#1f6feb",
                      paths: uPlot.paths.bars({size: [0.9, 200]}), points: {show: false}}],
      }, [data.hourly.map(h => h.hour + 1800), data.hourly.map(h => h.kwh)], cEl);
      const peak = data.hourly.reduce((a, h) => (h.kwh > a.kwh ? h : a));
      const total = data.hourly.reduce((sum, h) => sum + h.kwh, 0);
      cEl.setAttribute("aria-label", `Consumption chart: ${total.toFixed(2)} kWh over ${data.hourly.length} ` +
        `hour${data.hourly.length === 1 ? "" : "s"}, most in the hour from ${when(peak.hour)} (${peak.kwh.toFixed(2)} kWh).`);
    } else if (data.fallback) {
      consumptionPlot = new uPlot({
        width: width(), height: 300,
        scales: {x: {time: true}, y: {range: (u, min, max) => [0, Math.max(max, 0.1) * 1.1]}},
        axes: [{...timeAxis}, {label: "kWh"}],
        series: [{}, {label: "Energy (kWh, approximation)", stroke: "#0f9d58", width: 2, dash: [6, 4]}],
      }, [data.fallback.time, data.fallback.energy_kwh], cEl);
      cEl.setAttribute("aria-label", `Consumption chart, an approximation: ${data.fallback.energy_kwh[1].toFixed(2)} ` +
        `kWh from ${when(data.fallback.time[0])} to ${when(data.fallback.time[1])}.`);
    } else {
      cEl.innerHTML = '<p class="empty">No energy recorded yet.</p>';
      cEl.setAttribute("aria-label", "No energy recorded yet.");
    }
  }

  // Shows the chosen view from the current data: at load, on a tab, and on each live update. Without telemetry
  // (no readings, or only one) the consumption view stands alone; when readings arrive, telemetry takes over.
  function show() {
    const note = document.getElementById("chart-note");
    note.textContent = data.note || ""; note.hidden = !data.note;
    const limit = document.getElementById("chart-limit-note");  // the drawn limit in words
    limit.textContent = data.limit ? data.limit.text : ""; limit.hidden = !data.limit;
    if (!data.telemetry) view = "consumption";
    else if (tabs.hidden) view = "telemetry";
    tabs.hidden = !data.telemetry;
    tabs.querySelectorAll("button").forEach(x => x.setAttribute("aria-pressed", x.dataset.view === view));
    tEl.hidden = view !== "telemetry"; cEl.hidden = view !== "consumption"; toggles.hidden = view !== "telemetry";
    if (view === "telemetry") { syncToggles(); drawTelemetry(); } else drawConsumption();
  }
  tabs.querySelectorAll("button").forEach(b => b.addEventListener("click", () => { view = b.dataset.view; show(); }));
  // While the session runs, the live stream asks for the newest readings.
  window.refreshTelemetry = async () => {
    try { data = await api(`/api/sessions/${root.dataset.id}/chart`); } catch (e) { return; }
    show();
  };
  document.addEventListener("zonechange", () => {
    zoneNote(); [telemetryPlot, consumptionPlot].forEach(c => c && c.redraw(false, true));
  });
  show();
  card.dataset.chartsReady = "1";
  window.addEventListener("resize", () => [telemetryPlot, consumptionPlot].forEach(
    c => c && c.setSize({width: width(), height: 300})));
})();

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
  const timeAxis = {space: 70, values: (u, ticks) => ticks.map(hhmm)};
  const zoneNote = () => { document.getElementById("chart-zone").textContent = `Times in ${viewZone()}.`; };
  zoneNote();
  const charts = [];
  document.addEventListener("zonechange", () => { zoneNote(); charts.forEach(c => c && c.redraw(false, true)); });

  // Every measurand has its own scale and its own axis; an axis shows only while its series does, so no line
  // is ever read against another unit's axis. Power and energy are on by default, the rest one click away.
  const DEFAULT_ON = new Set(["power_kw", "energy_kwh", "limit_kw"]);

  // A toggle draws the chart again with the chosen series: uPlot cannot show an axis that was built hidden
  // (it threw "o.space is not a function" for Current, Voltage and SoC).
  let telemetryPlot = null;
  function drawTelemetry(el, shown, on) {
    const visible = shown.filter((s, i) => on[i]);
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
    }, [data.telemetry.time, ...visible.map(s => data.telemetry[s.key])], el);
    if (telemetryPlot) { charts.splice(charts.indexOf(telemetryPlot), 1, plot); telemetryPlot.destroy(); }
    telemetryPlot = plot;
    el.setAttribute("aria-label", "Telemetry chart: " + (visible.map(s => s.label).join(", ") || "no series shown") +
                    (data.limit && visible.some(s => s.step) ? ". " + data.limit.text : ""));
    return plot;
  }

  function telemetry(el) {
    const shown = SERIES.filter(s => data.telemetry[s.key]);
    const on = shown.map(s => DEFAULT_ON.has(s.key) || shown.length <= 2);
    if (!on.some(Boolean)) on[0] = true;
    const toggles = document.getElementById("series-toggles");
    const plot = drawTelemetry(el, shown, on);
    // While the session runs, the live stream asks for the newest readings: same series, same toggles.
    window.refreshTelemetry = async () => {
      try { data = await api(`/api/sessions/${root.dataset.id}/chart`); } catch (e) { return; }
      if (data.telemetry && !el.hidden) drawTelemetry(el, shown, on);
    };
    shown.forEach((s, i) => {
      const label = document.createElement("label");
      label.innerHTML = `<input type="checkbox" ${on[i] ? "checked" : ""} data-series="${s.key}"> ` +
                        `<span class="swatch">■</span> ${s.label}`;
      label.querySelector(".swatch").style.color = s.color;  // set via the DOM: the CSP forbids style attributes
      label.querySelector("input").addEventListener("change", e => {
        on[i] = e.target.checked;
        drawTelemetry(el, shown, on);
      });
      toggles.appendChild(label);
    });
    toggles.hidden = false;
    return plot;
  }

  function consumption(el) {
    if (data.hourly.length) {
      return new uPlot({
        width: width(), height: 300,
        scales: {x: {time: true, range: () => [data.hourly[0].hour, data.hourly[data.hourly.length - 1].hour + 3600]},
                 y: {range: (u, min, max) => [0, Math.max(max, 0.1) * 1.1]}},
        axes: [{...timeAxis}, {label: "kWh per hour"}],
        series: [{}, {label: "kWh per hour", fill: "rgba(31,111,235,.55)", stroke: "#1f6feb",
                      paths: uPlot.paths.bars({size: [0.9, 200]}), points: {show: false}}],
      }, [data.hourly.map(h => h.hour + 1800), data.hourly.map(h => h.kwh)], el);
    }
    if (data.fallback) {
      return new uPlot({
        width: width(), height: 300,
        scales: {x: {time: true}, y: {range: (u, min, max) => [0, Math.max(max, 0.1) * 1.1]}},
        axes: [{...timeAxis}, {label: "kWh"}],
        series: [{}, {label: "Energy (kWh, approximation)", stroke: "#0f9d58", width: 2, dash: [6, 4]}],
      }, [data.fallback.time, data.fallback.energy_kwh], el);
    }
    el.innerHTML = '<p class="empty">No energy recorded yet.</p>';
    return null;
  }

  const tEl = document.getElementById("chart-telemetry"), cEl = document.getElementById("chart-consumption");
  if (data.note) { const note = document.getElementById("chart-note"); note.textContent = data.note; note.hidden = false; }
  if (data.limit) {  // the drawn limit in words, for everyone who does not read the chart
    const note = document.getElementById("chart-limit-note"); note.textContent = data.limit.text; note.hidden = false;
  }
  if (data.telemetry) {
    tEl.hidden = false; charts.push(telemetry(tEl));
    const tabs = document.getElementById("chart-tabs"); tabs.hidden = false;
    let built = false;
    tabs.querySelectorAll("button").forEach(b => b.addEventListener("click", () => {
      const view = b.dataset.view;
      tabs.querySelectorAll("button").forEach(x => x.setAttribute("aria-pressed", x === b));
      tEl.hidden = view !== "telemetry"; cEl.hidden = view !== "consumption";
      document.getElementById("series-toggles").hidden = view !== "telemetry";
      if (view === "consumption" && !built) { built = true; charts.push(consumption(cEl)); }
    }));
  } else {
    cEl.hidden = false; charts.push(consumption(cEl));
  }
  card.dataset.chartsReady = "1";
  window.addEventListener("resize", () => charts.forEach(c => c && c.setSize({width: width(), height: 300})));
})();

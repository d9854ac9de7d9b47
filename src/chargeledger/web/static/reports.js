// Reports page (no form when the user may run nothing): start a job through the reports API, show its progress, then offer its file.
const form = document.getElementById("report-form");
const reportName = document.getElementById("report-name"), formatSelect = document.getElementById("report-format");
const zipChoices = document.getElementById("report-zip");
// An export has its own file format (its name); a report is CSV, XLSX, or a ZIP of several reports and formats.
const showFormat = () => {
  formatSelect.disabled = reportName.value.startsWith("export:");
  zipChoices.hidden = formatSelect.disabled || formatSelect.value !== "zip";
};
reportName?.addEventListener("change", showFormat);
formatSelect?.addEventListener("change", showFormat);
const checked = name => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map(box => box.value);
form?.addEventListener("submit", async e => {
  e.preventDefault();
  const error = document.getElementById("report-error"), job = document.getElementById("report-job");
  const download = document.getElementById("report-download"), status = document.getElementById("report-status");
  const progress = document.getElementById("report-progress");
  showError(error, ""); download.hidden = true; progress.value = 0; progress.max = 1;
  const data = Object.fromEntries(new FormData(form));
  const exportName = data.report.startsWith("export:") ? data.report.slice(7) : null;
  const body = {report: exportName || data.report, format: exportName || formatSelect.value,
                start: data.start, end: data.end, time_zone: data.time_zone || null};
  if (!exportName && body.format === "zip") {
    body.reports = checked("zip-report"); body.members = checked("zip-member");  // no report ticked: the one chosen
    if (!body.members.length) { showError(error, "Tick at least one format for the ZIP's files."); return; }
  }
  let started;
  try {
    started = await api(`/api/reports/jobs${exportName ? "?export=true" : ""}`, {method: "POST", body: JSON.stringify(body)});
  } catch (err) { showError(error, err.message); return; }
  job.hidden = false;
  document.getElementById("report-job-id").textContent = started.id;
  while (true) {
    let p;
    try { p = await api(started.progress_url); } catch (err) { showError(error, err.message); return; }
    progress.max = Math.max(1, p.rows_total || 1); progress.value = p.status === "done" ? progress.max : (p.rows_done || 0);
    status.textContent = `${p.status}: ${p.rows_done || 0}${p.rows_total ? " of " + p.rows_total : ""} rows`;
    if (p.status === "done") { download.href = p.download_url; download.hidden = false; return; }
    if (p.status === "failed" || p.error) { showError(error, `The report failed: ${p.error || p.status}`); return; }
    await new Promise(r => setTimeout(r, 400));
  }
});

// Station page: send a command from its button and show the charge point's answer (or why it failed).
const box = document.getElementById("station-commands");
box?.querySelectorAll("[data-command]").forEach(button => button.addEventListener("click", async () => {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const error = document.getElementById("command-error"), answer = document.getElementById("command-answer");
  showError(error, ""); answer.hidden = true;
  try {
    const result = await api(`/api/stations/${encodeURIComponent(box.dataset.station)}/commands/${button.dataset.command}`,
                             {method: "POST", body: button.dataset.payload});
    answer.textContent = `${button.textContent}: ${JSON.stringify(result.answer ?? result)}`;
    answer.hidden = false;
  } catch (err) { showError(error, `${button.textContent} failed: ${err.message}`); }
}));

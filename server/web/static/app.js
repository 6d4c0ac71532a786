// Scripts of the pages; every page works without JavaScript.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // New request: with server-sent events available, the draft of the llm mode is followed as it is written.
  const wantsStream = document.querySelector("input[data-flux]");
  if (wantsStream && window.EventSource) {
    wantsStream.value = "1";
  }

  const panel = document.getElementById("flux");
  if (!panel || !window.EventSource) {
    return;
  }
  const state = document.getElementById("flux-etat");
  const kept = document.getElementById("flux-gardees");
  const removed = document.getElementById("flux-retirees");
  const item = (list, text) => {
    const li = document.createElement("li");
    li.textContent = text;
    list.appendChild(li);
  };
  const source = new EventSource(panel.dataset.flux);
  source.addEventListener("phrase", (e) => item(kept, JSON.parse(e.data).texte));
  source.addEventListener("retiree", (e) => {
    const d = JSON.parse(e.data);
    item(removed, `${d.texte} — ${d.motifs.join(" ; ")}`);
  });
  source.addEventListener("fin", (e) => {
    source.close();
    state.textContent = "Brouillon prêt : affichage…";
    window.location.replace(JSON.parse(e.data).url);
  });
  source.addEventListener("erreur", (e) => {
    source.close();
    state.textContent = JSON.parse(e.data).message;
  });
  source.onerror = () => {
    source.close();
    state.textContent = "Connexion interrompue : rechargez la page (le brouillon est enregistré dès qu'il est prêt).";
  };
});

// Request page: copy and print the reply. Without JavaScript the buttons stay hidden (select + Ctrl+C, Ctrl+P).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const state = document.querySelector("[data-copie-etat]");
  const textOf = (id) => {
    const el = document.getElementById(id);
    return el ? (el.value !== undefined ? el.value : el.textContent) : "";
  };
  const say = (message) => {
    if (state) {
      state.textContent = message;
    }
  };
  for (const hint of document.querySelectorAll("[data-sans-js]")) {
    hint.hidden = true;
  }
  for (const button of document.querySelectorAll("button[data-copie]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const text = textOf(button.dataset.copie);
      try {
        await navigator.clipboard.writeText(text);
        say("Réponse copiée dans le presse-papiers.");
      } catch (err) {
        const el = document.getElementById(button.dataset.copie);
        if (el && el.select) {
          el.select();
        }
        say("Copie automatique impossible : le texte est sélectionné, faites Ctrl+C.");
      }
    });
  }
  for (const button of document.querySelectorAll("button[data-imprimer]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      // The printed page shows the text as it is in the box, even before it is saved.
      const printed = document.getElementById("texte-imprime");
      if (printed) {
        printed.textContent = textOf(button.dataset.imprimer);
      }
      window.print();
    });
  }
});

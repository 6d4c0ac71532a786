// Small helpers for the agent pages; the pages work without JavaScript.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-to]");
  if (!button) return;
  const target = document.getElementById(button.dataset.copyTo);
  const source = document.getElementById(button.dataset.copyFrom);
  if (target && source) {
    target.value = source.value;
    target.focus();
  }
});

// DealSignal pages: progressive enhancement only; every form also works without this file.
(function () {
  "use strict";

  function stepOf(el) { return el && el.closest ? el.closest(".step") : null; }

  // Review forms: post with fetch and update the card in place instead of reloading.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("js-review") || !window.fetch) return;
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) data.set(event.submitter.name, event.submitter.value);
    var card = stepOf(form);
    // getAttribute: an input named "action" shadows form.action.
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch", "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      // Only a failed request falls back to the plain post; a rendering slip must not post twice.
      .then(function (step) { if (card) updateCard(card, step); },
            function () { plainSubmit(form, event.submitter); });
  });

  // Fall back to the plain form post (errors then show as a page), keeping the clicked button's value.
  function plainSubmit(form, submitter) {
    if (submitter && submitter.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = submitter.name;
      hidden.value = submitter.value;
      form.appendChild(hidden);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  function updateCard(card, step) {
    card.querySelector(".action").textContent = step.action;
    card.querySelector(".owner").textContent = step.owner || step.owner_side;
    card.querySelector(".due").textContent = step.due || "no date";
    var status = card.querySelector(".status-line");
    status.innerHTML = "";
    var tag = document.createElement("span");
    tag.className = "tag status-" + step.status;
    tag.textContent = step.status;
    status.appendChild(tag);
    card.classList.add(step.status === "rejected" ? "rejected" : "reviewed");
    var accept = card.querySelector('button[value="accept"]');
    if (accept && step.status !== "suggested") accept.remove();
    var details = card.querySelector("details.edit");
    if (details) details.open = false;
    var next = card.nextElementSibling;
    if (next && next.classList.contains("step")) focusStep(next);
  }

  function focusStep(card) {
    document.querySelectorAll(".step.current").forEach(function (c) { c.classList.remove("current"); });
    card.classList.add("current");
    card.focus();
  }

  // Keyboard: j/k move between next steps, a accept, e edit, r reject.
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {  // close an open edit form and return to its card
      var open = t && t.closest && t.closest("details.edit[open]");
      if (open) { open.open = false; focusStep(stepOf(open)); event.preventDefault(); }
      return;
    }
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
    var steps = Array.prototype.slice.call(document.querySelectorAll(".step"));
    if (!steps.length) return;
    var card = stepOf(t) || document.querySelector(".step.current");
    var i = card ? steps.indexOf(card) : -1;
    if (event.key === "j" || event.key === "k") {
      var j = event.key === "j" ? Math.min(i + 1, steps.length - 1) : Math.max(i - 1, 0);
      focusStep(steps[j]); event.preventDefault(); return;
    }
    if (!card) return;
    var button = null;
    if (event.key === "a") button = card.querySelector('button[value="accept"]');
    if (event.key === "r") button = card.querySelector('button[value="reject"]');
    if (button) { button.click(); event.preventDefault(); return; }
    if (event.key === "e") {
      var details = card.querySelector("details.edit");
      if (details) { details.open = true; var input = details.querySelector("input[name=action]"); if (input) input.focus(); event.preventDefault(); }
    }
  });

  // Call page: clicking (or Enter on) a transcript line plays the recording from there.
  function seek(line) {
    var player = document.getElementById("player");
    if (!player || !line.dataset.start) return;
    player.currentTime = parseFloat(line.dataset.start);
    var p = player.play(); if (p && p.catch) p.catch(function () {});
  }
  document.addEventListener("click", function (event) {
    var line = event.target.closest && event.target.closest(".line");
    if (line && !event.target.closest("a")) seek(line);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.classList && event.target.classList.contains("line")) seek(event.target);
  });
  var player = document.getElementById("player");
  if (player) {
    var lines = Array.prototype.slice.call(document.querySelectorAll(".line[data-start]"));
    player.addEventListener("timeupdate", function () {
      var now = player.currentTime, current = null;
      for (var k = 0; k < lines.length; k++) { if (parseFloat(lines[k].dataset.start) <= now) current = lines[k]; else break; }
      lines.forEach(function (l) { l.classList.toggle("playing", l === current); });
    });
  }
})();

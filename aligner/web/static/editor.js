/* aligner: the row editor on the reading page (InterText's operations, one key or one click each).
   Every row of a version carries a form of operation buttons (aligner_macros.html, row_ops); without this file
   they post and the page comes back to the row. With it, a row is "current" (click it, or j / k), each
   button's data-keys are its keys, an operation updates the rows in place (the server answers with them
   re-rendered), and n / l / o jump to the next row worth a look. Text only ever set with textContent. */
(function () {
  "use strict";
  var root = document.querySelector(".reading[data-editor]");
  if (!root) { return; }
  var csrftoken = root.getAttribute("data-csrftoken") || "";
  var rowsBox = root.querySelector(".parallel .rows");
  var bar = root.querySelector(".editor-bar");
  var msg = bar && bar.querySelector(".msg");
  var busy = false;
  var current = null;
  var gotoBox = bar && bar.querySelector(".goto input");
  if (bar) {
    bar.querySelector(".jumps").hidden = false;
    bar.querySelector(".goto").hidden = false;
  }

  function say(text, isError) {
    if (!msg) { return; }
    msg.textContent = text || "";
    msg.className = "msg" + (isError ? " error" : "");
  }

  function cells(key) {
    var all = Array.prototype.slice.call(rowsBox.querySelectorAll(".slot[data-row]"));
    return key ? all.filter(function (c) { return c.getAttribute("data-key") === key; }) : all;
  }

  function find(key, row) {
    return cells(key).filter(function (c) { return c.getAttribute("data-row") === row; })[0] || null;
  }

  function select(cell, scroll) {
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = cell;
    if (!cell) { return; }
    cell.classList.add("current");
    cell.setAttribute("aria-current", "true");
    if (!cell.hasAttribute("tabindex")) { cell.setAttribute("tabindex", "-1"); }
    cell.focus({ preventScroll: true });
    if (scroll !== false) {
      // The neighbours stay in view: the row goes to the middle of the window, not to its edge.
      var box = cell.getBoundingClientRect();
      if (box.top < 80 || box.bottom > window.innerHeight - 80) { cell.scrollIntoView({ block: "center" }); }
    }
  }

  function step(delta) {
    var list = cells(current ? current.getAttribute("data-key") : null);
    if (!list.length) { return; }
    var i = current ? list.indexOf(current) : -1;
    var j = i < 0 ? (delta > 0 ? 0 : list.length - 1) : Math.max(0, Math.min(list.length - 1, i + delta));
    select(list[j]);
  }

  var JUMPS = {
    unconfirmed: function (c) {
      var s = c.getAttribute("data-status");
      return s === "auto" || s === "draft";
    },
    low: function (c) { return c.hasAttribute("data-low"); },
    odd: function (c) { return c.hasAttribute("data-odd"); }
  };
  var JUMP_NAMES = { unconfirmed: "unconfirmed", low: "low-confidence", odd: "odd (not 1:1, or of another kind)" };

  function jump(kind) {
    var list = cells(current ? current.getAttribute("data-key") : null);
    var i = current ? list.indexOf(current) : -1;
    for (var j = i + 1; j < list.length; j++) {
      if (JUMPS[kind](list[j])) { select(list[j]); say(""); return; }
    }
    say("No " + JUMP_NAMES[kind] + " row after this one in this part.", false);
  }

  // "Go to": a row by its name or the end of it ("3.20" finds Mark.3.20.1, "ru:1.1" a leftover).
  function goTo(text) {
    var want = (text || "").trim();
    if (!want) { return false; }
    var list = cells(current ? current.getAttribute("data-key") : null);
    var hits = list.filter(function (c) {
      var name = c.getAttribute("data-row");
      return name === want || name === want + ".1" || name.slice(-(want.length + 1)) === "." + want ||
        name.slice(-(want.length + 3)) === "." + want + ".1";
    });
    // A pivot row before a leftover that holds the same ref, unless the name was given whole.
    var hit = hits.filter(function (c) { return c.getAttribute("data-row") === want; })[0] ||
      hits.filter(function (c) { return !c.classList.contains("leftover"); })[0] || hits[0];
    if (hit) { select(hit); say(""); return true; }
    say("No row " + want + " in this part.", true);
    return false;
  }
  if (gotoBox) {
    gotoBox.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); if (goTo(gotoBox.value)) { gotoBox.value = ""; } }
      if (ev.key === "Escape") { gotoBox.value = ""; if (current) { current.focus(); } else { gotoBox.blur(); } }
    });
  }

  function restore(key, row) {
    var cell = (row && find(key, row)) || null;
    select(cell);
  }

  function post(form, submitter) {
    if (busy) { return; }
    var body = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (e) {
      if (e.name && e.type !== "submit" && !e.disabled) { body.set(e.name, e.value); }
    });
    if (submitter && submitter.name) { body.set(submitter.name, submitter.value); }
    var cell = form.closest(".slot");
    var key = cell ? cell.getAttribute("data-key") : (current ? current.getAttribute("data-key") : null);
    var focusRow = cell ? cell.getAttribute("data-row") : (current ? current.getAttribute("data-row") : null);
    if (cell) { body.set("token", cell.getAttribute("data-token")); }  // an inline text save may have changed it
    if (!cell && key && body.get("op") === "undo") { body.set("key", key); }
    body.set("next", location.pathname + location.search);
    busy = true;
    root.classList.add("busy");
    say("Working\u2026");
    fetch(form.getAttribute("action"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Accept": "application/json", "X-CSRFToken": csrftoken }
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: "Unexpected answer (" + r.status + ")" }; });
    }).then(function (d) {
      busy = false;
      root.classList.remove("busy");
      if (d.html !== undefined) {
        rowsBox.innerHTML = d.html;
      }
      if (d.ok) {
        var ukey = body.get("key") || key;
        restore(ukey, d.focus || focusRow);
        if (!current && key) { restore(key, focusRow); }
        say(d.message, false);
      } else {
        restore(key, focusRow);
        say(d.error || "Not done.", true);
      }
    }).catch(function (err) {
      busy = false;
      root.classList.remove("busy");
      say("Not done: " + err, true);
    });
  }

  root.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("ops")) { return; }
    ev.preventDefault();
    post(form, ev.submitter);
  });

  root.addEventListener("click", function (ev) {
    var jumpButton = ev.target.closest && ev.target.closest("[data-jump]");
    if (jumpButton) { jump(jumpButton.getAttribute("data-jump")); return; }
    var cell = ev.target.closest && ev.target.closest(".slot[data-row]");
    if (cell && cell !== current && !ev.target.closest("a, textarea, select, input")) { select(cell, false); }
  });

  function buttonFor(key) {
    var scope = current && current.querySelector("form.ops");
    var found = null;
    if (scope) {
      Array.prototype.forEach.call(scope.querySelectorAll("button[data-keys]"), function (b) {
        if (!found && b.getAttribute("data-keys").split(" ").indexOf(key) >= 0) { found = b; }
      });
    }
    return found;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    var k = ev.key;
    if (k === "j" || k === "ArrowDown") { ev.preventDefault(); step(1); return; }
    if (k === "k" || k === "ArrowUp") { ev.preventDefault(); step(-1); return; }
    if (k === "Escape") { select(null); return; }
    if (k === "n") { jump("unconfirmed"); return; }
    if (k === "l") { jump("low"); return; }
    if (k === "o") { jump("odd"); return; }
    if (k === "g" && gotoBox) { ev.preventDefault(); gotoBox.focus(); return; }
    if (k === "z") {
      var undo = bar && bar.querySelector("form.undo");
      if (undo) { ev.preventDefault(); post(undo, undo.querySelector("button[name=op]")); }
      return;
    }
    if (!current) { return; }
    if (k === "e" || k === "Enter") {
      var link = current.querySelector("a.edit-link");
      if (link) { ev.preventDefault(); link.click(); }
      return;
    }
    var b = buttonFor(k);
    if (b) { ev.preventDefault(); post(b.form, b); }
  });

  // Coming back to a row (a redirect after a plain form post, or a link): make it the current one.
  if (location.hash) {
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) {
      var slot = target.classList.contains("slot") ? target : null;
      if (!slot) {
        var band = target.closest(".band");
        slot = band && band.querySelector(".slot[data-row]");
      }
      if (slot) { select(slot, false); }
    }
  }
})();

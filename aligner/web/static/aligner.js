/* aligner: inline editing on the reading page.
   Without this file every "edit" link opens the plain form page, which does the same job.
   Text is only ever set with textContent / value, never as HTML. */
(function () {
  "use strict";
  var root = document.querySelector(".reading[data-editor]");
  if (!root) { return; }
  var csrftoken = root.getAttribute("data-csrftoken") || "";
  var MARKS = { confirmed: "\u2713", draft: "\u25d4", auto: "\u2248", empty: "\u00b7" };
  var HELP = {
    confirmed: "confirmed by a translator", draft: "draft",
    auto: "aligned automatically, not yet checked", empty: "not translated yet"
  };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function setStatus(cell, status, stale) {
    cell.className = cell.className.replace(/\bst-\w+\b/g, "").replace(/\bstale\b/g, "").replace(/\s+/g, " ").trim();
    cell.classList.add("st-" + status);
    if (stale) { cell.classList.add("stale"); }
    cell.setAttribute("data-status", status);
    var mark = cell.querySelector(":scope > .mark:not(.stale)");
    if (mark) {
      mark.className = "mark st-" + status;
      mark.title = HELP[status] || status;
      var shown = mark.querySelector("[aria-hidden]");
      if (shown) { shown.textContent = MARKS[status] || ""; }
      var hidden = mark.querySelector(".visually-hidden");
      if (hidden) { hidden.textContent = " " + (HELP[status] || status); }
    }
    var staleMark = cell.querySelector(":scope > .mark.stale");
    if (staleMark && !stale) { staleMark.remove(); }
  }

  function setText(cell, text) {
    var span = cell.querySelector(":scope > .text");
    var gap = cell.querySelector(":scope > .gap-mark");
    span.textContent = text;
    if (text) {
      cell.classList.remove("gap");
      span.classList.remove("gap-text");
      if (gap) { gap.remove(); }
    } else {
      cell.classList.add("gap");
      if (!gap) {
        gap = el("span", { "class": "gap-mark", title: "not translated yet" }, "\u2014");
        span.after(gap);
      }
    }
  }

  function currentText(cell) {
    if (cell.classList.contains("gap")) { return ""; }
    var span = cell.querySelector(":scope > .text");
    return span ? span.textContent : "";
  }

  function close(cell) {
    var ed = cell.querySelector(".inline-editor");
    if (ed) { ed.remove(); }
    var link = cell.querySelector(".edit-link");
    if (link) { link.hidden = false; link.focus(); }
  }

  function openEditor(cell, link) {
    var url = link.getAttribute("data-edit-url");
    var status = cell.getAttribute("data-status");
    var form = el("form", { "class": "inline-editor", method: "post", action: url });
    var label = el("label", { "class": "visually-hidden" }, "Text of " + cell.getAttribute("data-key") + " " + cell.getAttribute("data-address"));
    var ta = el("textarea", { name: "text", dir: "auto", lang: cell.getAttribute("lang") || "" });
    ta.value = currentText(cell);
    var id = "ed-" + Math.random().toString(36).slice(2);
    ta.id = id; label.setAttribute("for", id);
    var select = el("select", { name: "status", "aria-label": "Status" });
    ["draft", "confirmed", "empty"].forEach(function (s) {
      var o = el("option", { value: s }, s === "empty" ? "empty (clear)" : s);
      if (s === (status === "auto" || status === "empty" ? "draft" : status)) { o.selected = true; }
      select.appendChild(o);
    });
    var save = el("button", { type: "submit", "class": "save" }, "Save");
    var cancel = el("button", { type: "button", "class": "cancel" }, "Cancel");
    var full = el("a", { href: link.getAttribute("href"), "class": "full-form" }, "full form");
    var msg = el("div", { "class": "msg", role: "status", "aria-live": "polite" });
    var row = el("div", { "class": "row" });
    row.append(select, save, cancel, full, msg);
    form.append(label, ta, row);
    link.hidden = true;
    cell.appendChild(form);
    ta.focus();

    cancel.addEventListener("click", function () { close(cell); });
    form.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { close(cell); }
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      save.disabled = true;
      msg.className = "msg"; msg.textContent = "Saving\u2026";
      var body = new URLSearchParams();
      body.set("csrftoken", csrftoken);
      body.set("text", ta.value);
      body.set("status", select.value);
      body.set("token", cell.getAttribute("data-token"));
      fetch(url, {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Accept": "application/json", "X-CSRFToken": csrftoken }
      }).then(function (r) {
        return r.json().catch(function () { return { ok: false, error: "Unexpected answer (" + r.status + ")" }; })
          .then(function (data) { return { status: r.status, data: data }; });
      }).then(function (res) {
        save.disabled = false;
        var d = res.data;
        if (res.status === 200 && d.ok) {
          setText(cell, d.slot.text);
          setStatus(cell, d.slot.status, d.slot.stale);
          cell.setAttribute("data-token", d.slot.token);
          close(cell);
          cell.classList.add("saved");
          if (d.warning) { window.alert(d.warning); }
          return;
        }
        if (res.status === 409 && d.conflict) {
          msg.className = "msg error";
          msg.textContent = d.error;
          var old = form.querySelector(".both");
          if (old) { old.remove(); }
          var both = el("div", { "class": "both" });
          var theirs = el("div", { "class": "theirs" });
          theirs.append(el("h3", {}, "Theirs (saved" + (d.theirs.actor ? " by " + d.theirs.actor : "") + "): " + d.theirs.status),
                        el("p", { "class": "text", dir: "auto" }, d.theirs.text));
          var yours = el("div", { "class": "yours" });
          yours.append(el("h3", {}, "Yours (not saved): " + d.yours.status), el("p", { "class": "text", dir: "auto" }, d.yours.text));
          both.append(theirs, yours);
          form.insertBefore(both, row);
          var keep = el("button", { type: "button", "class": "cancel keep" }, "Keep theirs");
          keep.addEventListener("click", function () {
            setText(cell, d.theirs.text);
            setStatus(cell, d.theirs.status, false);
            cell.setAttribute("data-token", d.theirs.token);
            close(cell);
          });
          row.insertBefore(keep, cancel);
          // Saving again now is a deliberate overwrite of the text shown as theirs.
          cell.setAttribute("data-token", d.theirs.token);
          save.textContent = "Save mine anyway";
          return;
        }
        msg.className = "msg error";
        msg.textContent = (d && d.error) || ("Not saved (" + res.status + ")");
      }).catch(function (err) {
        save.disabled = false;
        msg.className = "msg error";
        msg.textContent = "Not saved: " + err;
      });
    });
  }

  root.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a.edit-link");
    if (!link || !root.contains(link)) { return; }
    var cell = link.closest(".slot");
    if (!cell) { return; }
    ev.preventDefault();
    if (!cell.querySelector(".inline-editor")) { openEditor(cell, link); }
  });
})();

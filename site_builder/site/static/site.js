/* Small progressive enhancements; the site works fully without them.
   - Theme toggle: system -> light -> dark, remembered (the inline script in <head> applies it
     before the first paint; this keeps it in step with the system and the button).
   - Search extras from search.js when used; "/" focuses the search box.
   - Hover and keyboard previews of linked notes.
   - Code blocks get a copy button. */
(function () {
  "use strict";
  var root = document.documentElement;
  var media = window.matchMedia("(prefers-color-scheme: dark)");
  var modes = ["system", "light", "dark"];
  var icons = { system: "\u25D0", light: "\u2600", dark: "\u263E" };
  var toggle = document.querySelector(".theme-toggle");
  function stored() {
    try { return localStorage.getItem("theme") || "system"; } catch (e) { return "system"; }
  }
  function apply(mode) {
    var dark = mode === "dark" || (mode === "system" && media.matches);
    root.setAttribute("data-theme", dark ? "dark" : "light");
    if (toggle) {
      toggle.textContent = icons[mode];
      toggle.setAttribute("aria-label", "Theme: " + mode + " (change)");
      toggle.title = "Theme: " + mode;
    }
    document.dispatchEvent(new CustomEvent("themechange"));
  }
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var next = modes[(modes.indexOf(stored()) + 1) % modes.length];
      try { localStorage.setItem("theme", next); } catch (e) { /* private mode: not kept */ }
      apply(next);
    });
  }
  apply(stored());
  media.addEventListener("change", function () { if (stored() === "system") { apply("system"); } });

  // Search extras (search.js) load only when used: the header box as you type, on first
  // focus; the marking of ?highlight= terms on a page opened from a result.
  var me = document.currentScript;
  function extras(then) {
    if (window.notesSearch) { then(window.notesSearch); return; }
    var js = document.createElement("script");
    js.src = me.getAttribute("data-search");
    js.onload = function () { then(window.notesSearch); };
    document.head.appendChild(js);
  }
  var form = document.querySelector(".site-search");
  function searchAsYouType() {
    if (form.getAttribute("data-loading")) { return; }
    form.setAttribute("data-loading", "1");
    extras(function (search) { search.box(form, me.getAttribute("data-search-css")); });
  }
  if (form) {
    form.addEventListener("focusin", searchAsYouType);
    form.addEventListener("pointerenter", searchAsYouType);
  }
  document.addEventListener("keydown", function (event) {
    var box = document.querySelector(".site-search input");
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (event.key === "/" && box && tag !== "INPUT" && tag !== "TEXTAREA") {
      event.preventDefault();
      box.focus();
    }
  });
  if (/[?&]highlight=/.test(location.search)) {
    extras(function (search) { search.mark(); });
  }

  // Hover previews: a mouse resting on (or the keyboard focusing, or a finger long-pressing)
  // a link to another note shows that note's title and first paragraph (or the paragraph its
  // #anchor names), taken from the page itself.
  var tip = document.createElement("div");
  tip.className = "preview";
  tip.id = "note-preview";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  (document.querySelector("main") || document.body).appendChild(tip);  // inside a landmark
  var pages = {};
  var timer = null;
  var owner = null;
  var LINKS = ".prose a[href^='/'], .backlinks a, .prev-next a, .graph a";
  function hide() {
    clearTimeout(timer);
    tip.hidden = true;
    if (owner) { owner.removeAttribute("aria-describedby"); owner = null; }
  }
  function excerpt(doc, hash) {
    var at = hash && doc.getElementById(decodeURIComponent(hash.slice(1)));
    var para = at && at.matches("p, li") ? at : null;
    // Under a heading: its first paragraph, else whatever comes first (a table, a list).
    for (var el = at; !para && el && (el = el.nextElementSibling) && !/^H\d/.test(el.tagName);) {
      if (el.matches("p")) { para = el; }
    }
    para = para || (at && at.nextElementSibling) || doc.querySelector(".prose > p");
    var text = para ? para.textContent.replace(/\s+/g, " ").trim() : "";
    return text.length > 280 ? text.slice(0, 279).replace(/\s\S*$/, "") + "\u2026" : text;
  }
  function show(link, delay) {
    var url = new URL(link.getAttribute("href"), location.href);
    if (url.origin !== location.origin || url.pathname === location.pathname) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      pages[url.pathname] = pages[url.pathname] || fetch(url.pathname).then(function (r) {
        return r.ok ? r.text() : Promise.reject(r.status);
      }).then(function (text) { return new DOMParser().parseFromString(text, "text/html"); });
      pages[url.pathname].then(function (doc) {
        var h1 = doc.querySelector("h1");
        if (!doc.querySelector(".prose") || !h1) { return; }
        tip.textContent = "";
        var title = document.createElement("strong");
        title.textContent = h1.textContent.trim();
        var body = document.createElement("span");
        body.textContent = excerpt(doc, url.hash);
        tip.appendChild(title);
        tip.appendChild(body);
        var box = link.getBoundingClientRect();
        tip.style.left = Math.max(8, Math.min(box.left, innerWidth - 360)) + scrollX + "px";
        tip.style.top = box.bottom + scrollY + 6 + "px";
        tip.hidden = false;
        owner = link;
        link.setAttribute("aria-describedby", tip.id);
      }, function () { /* not a note page: no preview */ });
    }, delay === undefined ? 300 : delay);
  }
  document.addEventListener("pointerover", function (event) {
    var link = event.pointerType === "mouse" && event.target.closest(LINKS);
    if (link) { show(link); }
  });
  document.addEventListener("pointerout", function (event) {
    if (event.target.closest(LINKS)) { hide(); }
  });
  document.addEventListener("focusin", function (event) {
    var link = event.target.closest && event.target.closest(LINKS);
    if (link && link.matches(":focus-visible")) { show(link); }
  });
  document.addEventListener("focusout", hide);
  // Touch: a long press previews (a tap still follows the link, a scroll cancels).
  var press = null;
  var pressed = null;
  function release() { clearTimeout(press); press = null; }
  document.addEventListener("pointerdown", function (event) {
    var link = event.pointerType === "touch" && event.target.closest(LINKS);
    pressed = null;
    if (!link) { return; }
    press = setTimeout(function () { pressed = link; show(link, 0); }, 500);
  });
  ["pointerup", "pointercancel", "pointermove"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.pointerType === "touch" && (type !== "pointermove" || press)) { release(); }
    });
  });
  document.addEventListener("contextmenu", function (event) {
    if (pressed && event.target.closest(LINKS) === pressed) { event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    if (pressed && event.target.closest(LINKS) === pressed) {
      event.preventDefault();  // the long press was for the preview; a new tap follows it
      pressed = null;
    }
  }, true);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") { hide(); } });
  window.addEventListener("scroll", function () { if (!tip.hidden) { hide(); } }, { passive: true });

  if (!navigator.clipboard) { return; }
  document.querySelectorAll(".prose .highlight").forEach(function (block) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      var code = block.querySelector("code") || block;
      navigator.clipboard.writeText(code.innerText).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
    block.appendChild(button);
  });
})();

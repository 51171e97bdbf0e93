/* Small progressive enhancements; the site works fully without them.
   - Theme toggle: system -> light -> dark, remembered (the inline script in <head> applies it
     before the first paint; this keeps it in step with the system and the button).
   - Header search searches as you type: Pagefind's component UI, loaded on first focus.
   - "/" focuses the search box.  Search terms from ?highlight= are marked on the page.
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

  var form = document.querySelector(".site-search");
  function searchAsYouType() {
    if (!form || form.getAttribute("data-loading")) { return; }
    form.setAttribute("data-loading", "1");
    ["/pagefind/pagefind-component-ui.css", form.getAttribute("data-css")].forEach(function (h) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = h;
      document.head.appendChild(css);
    });
    var js = document.createElement("script");
    js.src = "/pagefind/pagefind-component-ui.js";
    js.onload = function () {
      var old = form.querySelector("input");
      var typed = old ? old.value : "";
      var focused = document.activeElement === old;
      form.innerHTML = '<pagefind-config bundle-path="/pagefind/" highlight-param="highlight">' +
        '</pagefind-config><pagefind-searchbox placeholder="Search notes" hide-shortcut>' +
        "</pagefind-searchbox>";
      var tries = 0;
      (function adopt() {
        var input = form.querySelector("pagefind-searchbox input");
        if (!input) { if (++tries < 100) { setTimeout(adopt, 20); } return; }
        input.setAttribute("aria-label", "Search notes");
        // Each result is named by its title alone while it shows the excerpt too (axe:
        // label-content-name-mismatch); named by its whole text, both are read.
        new MutationObserver(function () {
          form.querySelectorAll(".pf-searchbox-result[aria-labelledby]").forEach(function (a) {
            a.removeAttribute("aria-labelledby");
            a.removeAttribute("aria-describedby");
          });
        }).observe(form, { childList: true, subtree: true });
        if (focused) { input.focus(); }
        if (typed) {
          input.value = typed;
          input.dispatchEvent(new Event("input", { bubbles: true }));
        }
      })();
    };
    document.head.appendChild(js);
  }
  if (form) {
    // Enter opens the full results page, as without scripts; arrow keys then Enter (or a
    // click) open one result from the list.
    var picked = false;
    form.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") { picked = true; }
      if (event.key === "Enter" && !picked && event.target.value) {
        event.preventDefault();
        event.stopPropagation();
        location.href = "/search/?q=" + encodeURIComponent(event.target.value);
      }
    }, true);
    form.addEventListener("input", function () { picked = false; });
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

  var terms = new URLSearchParams(location.search).getAll("highlight").join(" ")
    .split(/\s+/).filter(function (t) { return t.length > 1; });
  var prose = document.querySelector(".prose");
  if (terms.length && prose) {
    var pattern = new RegExp("(" + terms.map(function (t) {
      return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("|") + ")", "gi");
    var walker = document.createTreeWalker(prose, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) { nodes.push(walker.currentNode); }
    nodes.forEach(function (node) {
      if (!pattern.test(node.data) || node.parentNode.closest("pre, math, .mermaid")) { return; }
      var parts = node.data.split(pattern);
      var frag = document.createDocumentFragment();
      parts.forEach(function (part, i) {
        if (i % 2) {
          var mark = document.createElement("mark");
          mark.className = "search-hit";
          mark.textContent = part;
          frag.appendChild(mark);
        } else if (part) { frag.appendChild(document.createTextNode(part)); }
      });
      node.parentNode.replaceChild(frag, node);
    });
    var first = prose.querySelector("mark.search-hit");
    if (first && !location.hash) { first.scrollIntoView({ block: "center" }); }
  }

  // Hover previews: a mouse resting on (or the keyboard focusing) a link to another note
  // shows that note's title and first paragraph (or the paragraph its #anchor names), taken
  // from the page itself.  Touch is left alone: a tap follows the link.
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
  function show(link) {
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
    }, 300);
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

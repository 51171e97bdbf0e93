/* Small progressive enhancements; the site works fully without them.
   - Theme toggle: system -> light -> dark, remembered (the inline script in <head> applies it
     before the first paint; this keeps it in step with the system and the button).
   - Search extras from search.js when used; "/" focuses the search box.
   - Hover and keyboard previews of linked notes (preview.js, loaded when first wanted).
   - The folder explorer: the whole tree (explorer.json, fetched once) in place of the page's
     own branch, the folders the reader opened remembered; "Browse" opens it on a phone.
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

  // Hover previews (preview.js) load on the first pointer or keyboard visit to a link to a
  // note, which they then preview.
  var LINKS = ".prose a[href^='/'], .backlinks a, .prev-next a, .graph a";
  var previews = null;
  function wake(event) {
    var link = event.target.closest && event.target.closest(LINKS);
    if (!link || (event.type === "pointerover" && event.pointerType !== "mouse")) { return; }
    if (event.type === "focusin" && !link.matches(":focus-visible")) { return; }
    if (event.type === "pointerdown" && event.pointerType !== "touch") { return; }
    ["pointerover", "focusin", "pointerdown"].forEach(function (type) {
      document.removeEventListener(type, wake);
    });
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = me.getAttribute("data-preview-css");
    document.head.appendChild(css);
    // What ends before preview.js comes is not previewed: a lifted finger, a mouse gone, a blur.
    var held = true;
    ({pointerdown: ["pointerup", "pointercancel"], pointerover: ["pointerout"],
      focusin: ["focusout"]})[event.type].forEach(function (type) {
      document.addEventListener(type, function (e) { held = held && link.contains(e.relatedTarget); });
    });
    previews = document.createElement("script");
    previews.src = me.getAttribute("data-preview");
    previews.onload = function () { window.notesPreview(LINKS, event, held); };
    document.head.appendChild(previews);
  }
  ["pointerover", "focusin", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, wake);
  });

  // The folder explorer.
  var nav = document.getElementById("explorer");
  var menu = document.querySelector(".menu-button");
  var OPEN = "explorer-open";
  function remembered() {
    try { return JSON.parse(localStorage.getItem(OPEN) || "[]"); } catch (e) { return []; }
  }
  function remember(url, open) {
    var urls = remembered().filter(function (u) { return u !== url; });
    if (open) { urls.push(url); }
    try { localStorage.setItem(OPEN, JSON.stringify(urls.slice(-200))); } catch (e) { /* not kept */ }
  }
  function link(title, url, cls) {
    var a = document.createElement("a");
    a.href = url;
    a.textContent = title;
    if (cls) { a.className = cls; }
    if (url === location.pathname) { a.setAttribute("aria-current", "page"); }
    return a;
  }
  function folder(node, opened) {
    var list = document.createElement("ul");
    node[2].forEach(function (child) {
      var li = document.createElement("li");
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      summary.className = "folder";
      summary.textContent = child[0];
      details.appendChild(summary);
      details.open = location.pathname.indexOf(child[1]) === 0 || opened.indexOf(child[1]) >= 0;
      details.appendChild(folder(child, opened));
      // The reader's own clicks only (opening the current note's folders is not a choice).
      summary.addEventListener("click", function () { remember(child[1], !details.open); });
      li.appendChild(details);
      list.appendChild(li);
    });
    node[3].forEach(function (note) {
      var li = document.createElement("li");
      li.appendChild(link(note[0], note[1]));
      list.appendChild(li);
    });
    return list;
  }
  if (nav) {
    fetch(nav.getAttribute("data-tree")).then(function (r) {
      return r.ok ? r.json() : Promise.reject(r.status);
    }).then(function (tree) {
      nav.replaceChild(folder(tree, remembered()), nav.querySelector("ul"));
      var here = nav.querySelector("[aria-current=page]");
      if (here && here.scrollIntoView && nav.scrollHeight > nav.clientHeight) {
        here.scrollIntoView({ block: "center" });
        window.scrollTo(0, 0);
      }
    }, function () { /* the page's own branch stays */ });
  }
  if (nav && menu) {
    menu.setAttribute("aria-expanded", "false");
    menu.addEventListener("click", function (event) {
      event.preventDefault();
      var open = nav.classList.toggle("open");
      menu.setAttribute("aria-expanded", String(open));
      if (open) { (nav.querySelector("[aria-current=page]") || nav.querySelector("a")).focus(); }
    });
    var close = function () {
      nav.classList.remove("open");
      menu.setAttribute("aria-expanded", "false");
      menu.focus();
    };
    nav.querySelector(".explorer-close").addEventListener("click", function (event) {
      event.preventDefault();
      close();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) { close(); }
    });
  }

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

/* Hover previews, as Obsidian Publish shows them: a mouse resting on (or the keyboard
   focusing, or a finger long-pressing) a link to another note shows that note itself,
   scrollable: the whole body, or the section a #heading link names, or the block a #^block
   link names.  Taken from the static page (fetched once per page), so it is what the reader
   would see there; cut after LIMIT characters with a link to the rest.  The pointer may move
   into the preview to scroll it or follow its links.  Loaded by site.js on first use:
   notesPreview(LINKS, event, held) installs the listeners and previews that first event's link
   (only while it lasts, held: the finger down, the mouse or the focus on the link). */
(function () {
  "use strict";
  var LIMIT = 12000;
  var tip = document.createElement("div");
  tip.className = "preview";
  tip.id = "note-preview";
  tip.hidden = true;
  tip.tabIndex = 0;
  (document.querySelector("main") || document.body).appendChild(tip);  // inside a landmark
  var pages = {};
  var timer = null;
  var leaving = null;
  var owner = null;

  function hide() {
    clearTimeout(timer);
    clearTimeout(leaving);
    tip.hidden = true;
    if (owner) { owner.removeAttribute("aria-describedby"); owner = null; }
  }
  function later() {
    clearTimeout(leaving);
    leaving = setTimeout(hide, 250);
  }
  function section(doc, hash) {
    var prose = doc.querySelector(".prose");
    var at = hash && doc.getElementById(decodeURIComponent(hash.slice(1)));
    if (!at || !prose || !prose.contains(at)) { return prose ? Array.prototype.slice.call(prose.children) : []; }
    var heading = /^H([1-6])$/.exec(at.tagName);
    if (!heading) { return [at]; }  // a ^block: that paragraph, list item or table
    var nodes = [at];
    for (var el = at.nextElementSibling; el; el = el.nextElementSibling) {
      var h = /^H([1-6])$/.exec(el.tagName);
      if (h && h[1] <= heading[1]) { break; }
      nodes.push(el);
    }
    return nodes;
  }
  function body(nodes, url) {
    var box = document.createElement("div");
    box.className = "preview-body prose";
    var size = 0;
    for (var i = 0; i < nodes.length && size < LIMIT; i++) {
      var copy = document.importNode(nodes[i], true);
      size += copy.textContent.length;
      box.appendChild(copy);
    }
    box.querySelectorAll("script, .headerlink, .copy-code").forEach(function (el) { el.remove(); });
    box.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    box.querySelectorAll("[aria-labelledby]").forEach(function (el) { el.removeAttribute("aria-labelledby"); });
    box.querySelectorAll("img").forEach(function (img) { img.loading = "lazy"; });
    if (i < nodes.length) {
      var more = document.createElement("p");
      var rest = document.createElement("a");
      rest.href = url;
      rest.textContent = "Read the rest of the note";
      more.appendChild(rest);
      box.appendChild(more);
    }
    return box;
  }
  function show(link, delay) {
    var url = new URL(link.getAttribute("href"), location.href);
    if (url.origin !== location.origin || url.pathname === location.pathname) { return; }
    clearTimeout(timer);
    clearTimeout(leaving);
    timer = setTimeout(function () {
      pages[url.pathname] = pages[url.pathname] || fetch(url.pathname).then(function (r) {
        return r.ok ? r.text() : Promise.reject(r.status);
      }).then(function (text) { return new DOMParser().parseFromString(text, "text/html"); });
      pages[url.pathname].then(function (doc) {
        var h1 = doc.querySelector("h1");
        if (!doc.querySelector(".prose") || !h1) { return; }
        tip.textContent = "";
        var title = document.createElement("strong");
        title.id = "note-preview-title";
        title.className = "preview-title";
        title.textContent = h1.textContent.trim();
        tip.appendChild(title);
        tip.appendChild(body(section(doc, url.hash), url.pathname + url.hash));
        tip.setAttribute("aria-label", "Preview of " + title.textContent);
        tip.scrollTop = 0;
        var box = link.getBoundingClientRect();
        tip.style.left = Math.max(8, Math.min(box.left, innerWidth - 440)) + scrollX + "px";
        tip.style.top = box.bottom + scrollY + 6 + "px";
        tip.hidden = false;
        owner = link;
        link.setAttribute("aria-describedby", title.id);
      }, function () { /* not a note page: no preview */ });
    }, delay === undefined ? 300 : delay);
  }

  window.notesPreview = function (LINKS, first, held) {
    document.addEventListener("pointerover", function (event) {
      var link = event.pointerType === "mouse" && event.target.closest(LINKS);
      if (link && !tip.contains(link)) { show(link); }
      if (tip.contains(event.target)) { clearTimeout(leaving); }
    });
    document.addEventListener("pointerout", function (event) {
      var to = event.relatedTarget;
      if ((event.target.closest(LINKS) || tip.contains(event.target)) && !(to && tip.contains(to))) {
        if (tip.hidden) { clearTimeout(timer); } else { later(); }
      }
    });
    document.addEventListener("focusin", function (event) {
      var link = event.target.closest && event.target.closest(LINKS);
      if (tip.contains(event.target)) { clearTimeout(leaving); return; }
      if (link && link.matches(":focus-visible")) { show(link); }
    });
    document.addEventListener("focusout", function (event) {
      if (!(event.relatedTarget && tip.contains(event.relatedTarget))) { hide(); }
    });
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") { hide(); } });
    // Touch: a long press previews (a tap still follows the link, a scroll cancels).
    var press = null;
    var pressed = null;
    function release() { clearTimeout(press); press = null; }
    function down(event) {
      var link = event.pointerType === "touch" && event.target.closest(LINKS);
      pressed = null;
      if (!link || tip.contains(link)) { return; }
      press = setTimeout(function () { pressed = link; show(link, 0); }, 500);
    }
    document.addEventListener("pointerdown", down);
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
      if (!tip.hidden && !tip.contains(event.target)) { hide(); }
    }, true);
    var link = first.target.closest(LINKS);
    if (!held) { return; }
    if (first.type === "pointerdown") { down(first); } else if (link) { show(link); }
  };
})();

/* Search extras, loaded by site.js only when used, so other pages do not pay for them.
   box(form, css): the header box becomes Pagefind's component searchbox (results as you
     type); Enter still opens the full results page, arrow keys then Enter open one result.
     The index comes in bundles: /pagefind/ plus those /pagefind/shards.json lists, merged
     into one search by /pagefind/merged/pagefind.js (results sorted by score across them).
   mark(): the terms of ?highlight= (added to result links) are marked in the note. */
(function () {
  "use strict";
  function box(form, css) {
    ["/pagefind/pagefind-component-ui.css", css].forEach(function (href) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.appendChild(link);
    });
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
    var js = document.createElement("script");
    js.src = "/pagefind/pagefind-component-ui.js";
    js.onload = adopt;
    function adopt() {
      // Pagefind's API over every bundle of the index, merged (see search/merged.js).
      window.PagefindComponents.configureInstance("default", {
        bundlePath: "/pagefind/merged/"
      });
      var old = form.querySelector("input");
      var typed = old ? old.value : "";
      var focused = document.activeElement === old;
      form.innerHTML = '<pagefind-config bundle-path="/pagefind/merged/" ' +
        'highlight-param="highlight"></pagefind-config>' +
        '<pagefind-searchbox placeholder="Search notes" hide-shortcut>' +
        "</pagefind-searchbox>";
      var tries = 0;
      (function ready() {
        var input = form.querySelector("pagefind-searchbox input");
        if (!input) { if (++tries < 100) { setTimeout(ready, 20); } return; }
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
    }
    document.head.appendChild(js);
  }

  function mark() {
    var terms = new URLSearchParams(location.search).getAll("highlight").join(" ")
      .split(/\s+/).filter(function (t) { return t.length > 1; });
    var prose = document.querySelector(".prose");
    if (!terms.length || !prose) { return; }
    var source = "(" + terms.map(function (t) {
      return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("|") + ")";
    var found = new RegExp(source, "i");
    var split = new RegExp(source, "gi");
    var walker = document.createTreeWalker(prose, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) { nodes.push(walker.currentNode); }
    nodes.forEach(function (node) {
      if (!found.test(node.data) || node.parentNode.closest("pre, math, .mermaid")) { return; }
      var frag = document.createDocumentFragment();
      node.data.split(split).forEach(function (part, i) {
        if (i % 2) {
          var hit = document.createElement("mark");
          hit.className = "search-hit";
          hit.textContent = part;
          frag.appendChild(hit);
        } else if (part) { frag.appendChild(document.createTextNode(part)); }
      });
      node.parentNode.replaceChild(frag, node);
    });
    var first = prose.querySelector("mark.search-hit");
    if (first && !location.hash) { first.scrollIntoView({ block: "center" }); }
  }

  window.notesSearch = { box: box, mark: mark };
})();

/* Mermaid diagrams, drawn in the browser by the self-hosted mermaid (loaded only on pages
   that have one), in the page's theme, and drawn again when the reader changes it. */
(function () {
  "use strict";
  var blocks = Array.prototype.slice.call(document.querySelectorAll(".mermaid"));
  if (!blocks.length || !window.mermaid) { return; }
  blocks.forEach(function (block) { block.setAttribute("data-source", block.textContent); });
  function draw() {
    var dark = document.documentElement.getAttribute("data-theme") === "dark";
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict",
      theme: dark ? "dark" : "default" });
    blocks.forEach(function (block) {
      block.removeAttribute("data-processed");
      block.textContent = block.getAttribute("data-source");
    });
    window.mermaid.run({ nodes: blocks });
  }
  draw();
  document.addEventListener("themechange", draw);
})();

/* Small progressive enhancements; the site works fully without them.
   - "/" focuses the header search box.
   - Code blocks get a copy button. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = document.querySelector(".site-search input");
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (event.key === "/" && box && tag !== "INPUT" && tag !== "TEXTAREA") {
      event.preventDefault();
      box.focus();
    }
  });
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

/* A Base's views as tabs (loaded only on pages that show a Base; without JavaScript the
   views follow each other, each under its name).  Arrow keys move between tabs. */
(function () {
  "use strict";
  document.querySelectorAll(".base").forEach(function (base, b) {
    var views = base.querySelectorAll(":scope > .base-view");
    if (views.length < 2) { return; }
    var tabs = document.createElement("div");
    tabs.className = "base-tabs";
    tabs.setAttribute("role", "tablist");
    views.forEach(function (view, i) {
      var tab = document.createElement("button");
      tab.type = "button";
      tab.id = "base-" + b + "-tab-" + i;
      tab.textContent = view.getAttribute("aria-label");
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", view.id = "base-" + b + "-view-" + i);
      view.setAttribute("role", "tabpanel");
      view.setAttribute("aria-labelledby", tab.id);
      view.removeAttribute("aria-label");
      tab.addEventListener("click", function () { select(i); });
      tab.addEventListener("keydown", function (event) {
        var step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (step) { select((i + step + views.length) % views.length); tabs.children[(i + step + views.length) % views.length].focus(); }
      });
      tabs.appendChild(tab);
    });
    function select(n) {
      views.forEach(function (view, i) {
        view.hidden = i !== n;
        tabs.children[i].setAttribute("aria-selected", String(i === n));
        tabs.children[i].tabIndex = i === n ? 0 : -1;
      });
    }
    base.insertBefore(tabs, views[0]);
    select(0);
  });

})();

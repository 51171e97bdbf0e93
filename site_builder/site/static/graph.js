/* Pan and zoom for the graph page, by moving the SVG's viewBox (no library): drag or arrow
   keys pan, the wheel, a pinch, + and - zoom.  Zoomed in far enough for them not to overlap,
   every note's label shows (.labels). */
(function () {
  "use strict";
  var box = document.querySelector(".site-graph");
  var svg = box && box.querySelector("svg");
  if (!svg) { return; }
  var start = svg.getAttribute("viewBox").split(" ").map(Number);
  var view = start.slice();
  function set() {
    svg.setAttribute("viewBox", view.join(" "));
    // Notes sit about 23 units apart: labels show once that is 70 pixels or more.
    var scale = svg.getBoundingClientRect().width / view[2];
    svg.classList.toggle("labels", scale * 23 >= 70);
  }
  function zoom(factor, fx, fy) {
    if (!factor) { view = start.slice(); set(); return; }
    fx = fx === undefined ? 0.5 : fx;
    fy = fy === undefined ? 0.5 : fy;
    var w = view[2] * factor, h = view[3] * factor;
    view = [view[0] + (view[2] - w) * fx, view[1] + (view[3] - h) * fy, w, h];
    set();
  }
  function pan(dx, dy) { view[0] += dx; view[1] += dy; set(); }
  set();
  var buttons = box.querySelector(".graph-zoom");
  buttons.hidden = false;
  buttons.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (b) { zoom(Number(b.getAttribute("data-zoom"))); }
  });
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
  }, { passive: false });
  var drag = null;
  svg.addEventListener("pointerdown", function (e) {
    if (e.target.closest("a")) { return; }
    drag = { x: e.clientX, y: e.clientY };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    var scale = view[2] / svg.getBoundingClientRect().width;
    pan((drag.x - e.clientX) * scale, (drag.y - e.clientY) * scale);
    drag = { x: e.clientX, y: e.clientY };
  });
  svg.addEventListener("pointerup", function () { drag = null; });
  box.addEventListener("keydown", function (e) {
    var step = view[2] / 10;
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (e.target !== box) { return; }
    if (moves[e.key]) { e.preventDefault(); pan(moves[e.key][0], moves[e.key][1]); }
    if (e.key === "+" || e.key === "=") { zoom(0.8); }
    if (e.key === "-") { zoom(1.25); }
  });
})();

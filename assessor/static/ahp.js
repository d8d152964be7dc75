// Live consistency ratio for the pairwise comparisons (progressive enhancement:
// the page works without it). Weights by power iteration on the reciprocal
// matrix; CR = ((lambda_max - n) / (n - 1)) / RI, with RI given by the server.
(function () {
  "use strict";
  var form = document.getElementById("ahp-form");
  var box = document.getElementById("ahp-live");
  if (!form || !box) { return; }
  var ri = parseFloat(form.getAttribute("data-ri"));
  var threshold = parseFloat(form.getAttribute("data-threshold"));
  var crText = document.getElementById("ahp-live-cr");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#ahp-live-weights li"));
  var keys = rows.map(function (li) { return li.getAttribute("data-key"); });
  var pairs = Array.prototype.slice.call(form.querySelectorAll("fieldset.pair"));
  var n = keys.length;

  function judgement(step) {
    return step >= 1 ? step : 1 / -step;
  }

  function matrix() {
    var a = [], answered = 0, i, j;
    for (i = 0; i < n; i++) { a.push([]); for (j = 0; j < n; j++) { a[i].push(1); } }
    pairs.forEach(function (fs) {
      var checked = fs.querySelector("input:checked");
      if (!checked) { return; }
      var l = keys.indexOf(fs.getAttribute("data-left"));
      var r = keys.indexOf(fs.getAttribute("data-right"));
      var v = judgement(parseInt(checked.value, 10));
      a[l][r] = v; a[r][l] = 1 / v; answered += 1;
    });
    return { a: a, answered: answered };
  }

  function priorities(a) {
    var w = [], i, j, k, next, sum, lambda = 0;
    for (i = 0; i < n; i++) { w.push(1 / n); }
    for (k = 0; k < 200; k++) {
      next = []; sum = 0;
      for (i = 0; i < n; i++) {
        var s = 0;
        for (j = 0; j < n; j++) { s += a[i][j] * w[j]; }
        next.push(s); sum += s;
      }
      var delta = 0;
      for (i = 0; i < n; i++) { next[i] /= sum; delta += Math.abs(next[i] - w[i]); }
      w = next;
      if (delta < 1e-12) { break; }
    }
    for (i = 0; i < n; i++) {
      var aw = 0;
      for (j = 0; j < n; j++) { aw += a[i][j] * w[j]; }
      lambda += aw / w[i];
    }
    return { w: w, lambda: lambda / n };
  }

  function update() {
    var m = matrix();
    var total = pairs.length;
    var result = priorities(m.a);
    rows.forEach(function (li, i) {
      li.querySelector("meter").value = result.w[i];
      li.querySelector(".lw-value").textContent = Math.round(result.w[i] * 100) + "%";
    });
    crText.className = "live-cr";
    if (m.answered < total) {
      crText.textContent = m.answered + " of " + total + " pairs compared. The consistency ratio appears when every pair is compared; the weights below assume 'equal' for the rest.";
      return;
    }
    var cr = Math.max(0, (result.lambda - n) / (n - 1)) / ri;
    var ok = cr <= threshold;
    crText.classList.add(ok ? "ok" : "attention");
    crText.textContent = "Consistency ratio " + cr.toFixed(2) + (ok
      ? " — your comparisons hang together well."
      : " — above " + threshold.toFixed(2) + ": some comparisons pull against each other. Save to see which one to look at again.");
  }

  box.hidden = false;
  form.addEventListener("change", update);
  update();
})();

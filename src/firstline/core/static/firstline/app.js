/* Firstline 第一防线 — page behaviour that CSP keeps out of the HTML (no inline handlers).
 *
 *  - Bootstrap tooltips: any element with data-bs-toggle="tooltip".
 *  - Charts: <div data-chart="ID"> gets an ECharts chart whose option is the JSON in
 *    <script type="application/json" id="ID"> (rendered by {{ option|json_script:"ID" }}).
 *    Pages with charts load vendor/echarts/echarts.min.js in their scripts block.
 *    data-chart-height="N" sets its height to N rem (the CSP refuses style attributes).
 *  - <a data-action="back" href="…">: go back in history, or to href if there is none.
 *  - <form data-confirm="…"> or <button type="submit" data-confirm="…">: ask before
 *    submitting (the button's question first: a form can save a draft without asking
 *    and submit with it). The question says what will happen. Without script the
 *    same words stand beside a required checkbox `confirmed` ({% include
 *    "core/_confirm.html" %}, a [data-confirm-check] box) that the browser will not
 *    submit unticked and the server checks; with script the box is hidden, and ticked
 *    when the person answers the dialog with OK.
 *  - Formsets: a box <… data-formset="PREFIX"> holding the management form, the rows
 *    ([data-formset-rows]), a <template data-formset-empty> (the formset's empty_form:
 *    __prefix__ for the index, __num__ for the row's number) and a hidden
 *    <button data-formset-add>. The button shows and adds rows up to
 *    PREFIX-MAX_NUM_FORMS. Without script the fixed rows are what there is.
 * Everything is (re)applied to content that htmx swaps in.
 */
(function () {
  "use strict";

  var PALETTE = ["#1f5fd1", "#12b886", "#f59f00", "#7950f2", "#e8590c", "#15aabf", "#e64980", "#868e96"];

  function initTooltips(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      window.bootstrap.Tooltip.getOrCreateInstance(el);
    });
  }

  function initCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (window.echarts.getInstanceByDom(el)) return;
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      if (el.dataset.chartHeight) el.style.height = Number(el.dataset.chartHeight) + "rem";
      var option = JSON.parse(source.textContent);
      if (!option.color) option.color = PALETTE;
      if (!option.textStyle) option.textStyle = { fontFamily: getComputedStyle(document.body).fontFamily };
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      if (window.ResizeObserver) {
        new ResizeObserver(function () { chart.resize(); }).observe(el);
      }
    });
  }

  function formsetCounts(box) {
    var prefix = box.dataset.formset;
    return {
      total: box.querySelector("input[name='" + prefix + "-TOTAL_FORMS']"),
      max: box.querySelector("input[name='" + prefix + "-MAX_NUM_FORMS']"),
    };
  }

  function updateFormsetAdd(box) {
    var counts = formsetCounts(box);
    var add = box.querySelector("[data-formset-add]");
    if (add && counts.total && counts.max) add.disabled = Number(counts.total.value) >= Number(counts.max.value);
  }

  function initFormsets(root) {
    root.querySelectorAll("[data-formset]").forEach(function (box) {
      var add = box.querySelector("[data-formset-add]");
      if (!add || !box.querySelector("template[data-formset-empty]")) return;
      add.hidden = false;
      updateFormsetAdd(box);
    });
  }

  function initConfirmChecks(root) {
    root.querySelectorAll("[data-confirm-check]").forEach(function (box) {
      box.hidden = true;
      box.querySelectorAll("input[type=checkbox]").forEach(function (input) { input.required = false; });
    });
  }

  function init(root) {
    initConfirmChecks(root);
    initTooltips(root);
    initCharts(root);
    initFormsets(root);
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-formset-add]");
    if (!add) return;
    var box = add.closest("[data-formset]");
    var counts = formsetCounts(box);
    var index = Number(counts.total.value);
    if (counts.max && index >= Number(counts.max.value)) return;
    var html = box.querySelector("template[data-formset-empty]").innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__num__/g, String(index + 1));
    var rows = box.querySelector("[data-formset-rows]");
    rows.insertAdjacentHTML("beforeend", html);
    counts.total.value = String(index + 1);
    updateFormsetAdd(box);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("input, select, textarea");
    if (first) first.focus();
  });

  document.addEventListener("click", function (event) {
    var back = event.target.closest("[data-action='back']");
    if (!back) return;
    if (window.history.length > 1 && document.referrer.indexOf(window.location.origin) === 0) {
      event.preventDefault();
      window.history.back();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.getAttribute) return;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!message) return;
    if (!window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    form.querySelectorAll("[data-confirm-check] input[type=checkbox]").forEach(function (input) { input.checked = true; });
  }, true);

  // Charts in content htmx is about to remove must release their resources.
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    if (!window.echarts) return;
    var chart = window.echarts.getInstanceByDom(event.target);
    if (chart) chart.dispose();
  });

  if (window.htmx) {
    window.htmx.onLoad(init); // runs for the whole body once, then for every swapped fragment
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();

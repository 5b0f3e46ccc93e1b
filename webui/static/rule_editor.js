// The eligibility rule as rows (field, operator, value with pickers) instead of JSON, on the staff document page.
// Each suggested row shows its evidence sentence and can be accepted, edited or deleted; the rows are written into
// the advanced JSON textarea, which the form saves, and every change asks the server how many enterprises the rule
// reaches ("这条规则下，N 家企业符合、M 家待完善"). Without JavaScript the JSON/YAML textarea works alone.
(function () {
  "use strict";
  var root = document.getElementById("rule-editor");
  var dataNode = document.getElementById("rule-editor-data");
  if (!root || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  function datalist(id) {
    return Array.prototype.map.call(document.querySelectorAll("#" + id + " option"), function (o) {
      var i = o.value.indexOf(" ");
      return [o.value.slice(0, i), o.value.slice(i + 1)];
    });
  }
  data.regions = datalist("editor-regions");
  data.industries = datalist("editor-industries");
  var textarea = document.getElementById("rules-text");
  var advanced = document.getElementById("rules-advanced");
  var list = root.querySelector(".rule-rows");
  var preview = document.getElementById("rule-preview");
  var sample = document.getElementById("rule-preview-sample");
  var fields = {};
  data.fields.forEach(function (f) { fields[f.name] = f; });
  var CHOICES = { size: data.sizes, ownership: data.ownerships, qualifications: data.qualifications };
  var rows = [];
  var combinator = "all";
  var advancedEdited = false;
  var timer = null;
  var seq = 0;

  function sameLeaf(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function evidenceFor(leaf, negated) {
    for (var i = 0; i < data.evidence.length; i++) {
      var e = data.evidence[i];
      if (!!e.negated === !!negated && sameLeaf(e.rule, leaf)) return e;
    }
    return null;
  }

  function rowFromLeaf(node, fromSuggestion) {
    var negated = !!node.not;
    var leaf = negated ? node.not : node;
    if (!leaf || !leaf.op || leaf.all || leaf.any || leaf.not) return null;
    var field = leaf.field || (leaf.op === "region_within" ? "region" : leaf.op === "industry_prefix" ? "industry" :
      leaf.op === "has_qualification" ? "qualifications" : leaf.op === "years_since" ? "established_on" :
      leaf.op === "all_enterprises" ? "enterprise" : null);
    if (!fields[field]) return null;
    var ev = evidenceFor(leaf, negated);
    var values = leaf.value === undefined ? [] : (Array.isArray(leaf.value) ? leaf.value : [leaf.value]);
    return { field: field, negated: negated, values: values.slice(), min: leaf.min, max: leaf.max,
             evidence: ev, accepted: !fromSuggestion || !ev };
  }

  function load(rule, fromSuggestion) {
    rows = [];
    if (!rule) return true;
    var children = rule.all || rule.any || [rule];
    combinator = rule.any ? "any" : "all";
    for (var i = 0; i < children.length; i++) {
      var row = rowFromLeaf(children[i], fromSuggestion);
      if (!row) return false; // nested groups: only the advanced view can show them
      rows.push(row);
    }
    return true;
  }

  function labelOf(options, code) {
    for (var i = 0; i < options.length; i++) if (options[i][0] === code) return options[i][1];
    return "";
  }

  function codesFrom(text, pattern) {
    return text.split(/[,，、;；\n]+/).map(function (part) { return part.trim().split(/\s+/)[0]; })
      .filter(function (code) { return pattern.test(code); });
  }

  function leafOf(row) {
    var f = fields[row.field];
    var leaf = { op: f.op };
    if (f.op !== "region_within" && f.op !== "industry_prefix" && f.op !== "has_qualification" && f.op !== "years_since" && f.op !== "all_enterprises") leaf.field = row.field;
    if (f.op === "range" || f.op === "years_since") {
      if (row.min !== undefined && row.min !== null && row.min !== "") leaf.min = Number(row.min);
      if (row.max !== undefined && row.max !== null && row.max !== "") leaf.max = Number(row.max);
      if (leaf.min === undefined && leaf.max === undefined) return null;
    } else if (f.op !== "all_enterprises") {
      if (!row.values.length) return null;
      leaf.value = row.values.slice();
    }
    return row.negated ? { not: leaf } : leaf;
  }

  function ruleOf() {
    var nodes = rows.map(leafOf).filter(function (n) { return n; });
    if (!nodes.length) return null;
    var rule = {};
    rule[combinator] = nodes;
    return rule;
  }

  function sync() {
    var rule = ruleOf();
    if (!advancedEdited) textarea.value = rule ? JSON.stringify(rule, null, 2) : "";
    var pending = rows.filter(function (r) { return !r.accepted; }).length;
    root.querySelector(".rule-pending").textContent = pending ? "还有 " + pending + " 条建议条件待采纳" : "";
    clearTimeout(timer);
    timer = setTimeout(function () { askPreview(rule); }, 250);
  }

  function askPreview(rule) {
    var mine = ++seq;
    if (!rule) { preview.textContent = "请至少保留一个条件"; sample.textContent = ""; return; }
    preview.textContent = "正在计算……";
    fetch(data.preview_url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ rules: rule }) })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (result) {
        if (mine !== seq) return;
        sample.textContent = "";
        if (!result.ok) { preview.textContent = "规则有误：" + (result.body.detail || "无法计算"); return; }
        preview.textContent = result.body.text;
        result.body.sample.forEach(function (e) {
          var li = document.createElement("li");
          li.textContent = e.name + "（" + e.outcome_label + "）";
          sample.appendChild(li);
        });
      })
      .catch(function () { if (mine === seq) preview.textContent = "暂时无法计算预览"; });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function valueWidget(row, index) {
    var f = fields[row.field];
    var box = el("div", { "class": "row-value" });
    var id = "row-" + index + "-" + row.field;
    if (row.field === "region" || row.field === "industry") {
      var options = row.field === "region" ? data.regions : data.industries;
      var input = el("input", { id: id, type: "text", list: row.field === "region" ? "editor-regions" : "editor-industries", "class": "row-codes" });
      input.value = row.values.map(function (c) { return (c + " " + labelOf(options, c)).trim(); }).join("，");
      box.appendChild(el("label", { "for": id }, row.field === "region" ? "注册地位于（可填多个，以逗号分隔）" : "行业代码（可填多个，以逗号分隔）"));
      box.appendChild(input);
      input.addEventListener("change", function () {
        row.values = codesFrom(input.value, row.field === "region" ? /^\d{6}$/ : /^[A-T]\d{0,4}$/);
        sync();
      });
    } else if (CHOICES[row.field]) {
      var group = el("fieldset", { "class": "row-choices" });
      group.appendChild(el("legend", {}, f.label + (row.field === "qualifications" ? "（具有其一）" : "（属于其一）")));
      CHOICES[row.field].forEach(function (choice) {
        var label = el("label", {});
        var check = el("input", { type: "checkbox", value: choice[0] });
        check.checked = row.values.indexOf(choice[0]) >= 0;
        check.addEventListener("change", function () {
          row.values = Array.prototype.filter.call(group.querySelectorAll("input[type=checkbox]"), function (c) { return c.checked; })
            .map(function (c) { return c.value; });
          sync();
        });
        label.appendChild(check);
        label.appendChild(document.createTextNode(" " + choice[1]));
        group.appendChild(label);
      });
      box.appendChild(group);
      if (row.field !== "qualifications") {
        var negLabel = el("label", { "class": "row-negated" });
        var neg = el("input", { type: "checkbox" });
        neg.checked = row.negated;
        neg.addEventListener("change", function () { row.negated = neg.checked; sync(); });
        negLabel.appendChild(neg);
        negLabel.appendChild(document.createTextNode(" 排除所选（不属于）"));
        box.appendChild(negLabel);
      }
    } else if (f.op === "range" || f.op === "years_since") {
      var unit = f.op === "years_since" ? "年" : f.unit;
      [["min", f.op === "years_since" ? "成立满" : "不少于"], ["max", f.op === "years_since" ? "成立不足" : "不超过"]].forEach(function (pair) {
        var inputId = id + "-" + pair[0];
        var label = el("label", { "for": inputId }, f.label + pair[1] + "（" + unit + "）");
        var number = el("input", { id: inputId, type: "number", min: "0", step: "any", "class": "row-" + pair[0] });
        if (row[pair[0]] !== undefined && row[pair[0]] !== null) number.value = row[pair[0]];
        number.addEventListener("input", function () { row[pair[0]] = number.value === "" ? undefined : number.value; sync(); });
        box.appendChild(label);
        box.appendChild(number);
      });
    } else {
      box.appendChild(el("p", { "class": "hint" }, "适用于所有已登记的企业"));
    }
    return box;
  }

  function render() {
    list.textContent = "";
    root.querySelectorAll("input[name=editor-combinator]").forEach(function (r) { r.checked = r.value === combinator; });
    rows.forEach(function (row, index) {
      var li = el("li", { "class": "rule-row" + (row.accepted ? " accepted" : "") });
      var main = el("div", { "class": "row-main" });
      var selectId = "row-" + index + "-field";
      main.appendChild(el("label", { "for": selectId }, "条件 " + (index + 1) + "：字段"));
      var select = el("select", { id: selectId, "class": "row-field" });
      data.fields.forEach(function (f) {
        var option = el("option", { value: f.name }, f.label);
        if (f.name === row.field) option.selected = true;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        row.field = select.value; row.values = []; row.min = undefined; row.max = undefined; row.negated = false;
        render(); sync();
      });
      main.appendChild(select);
      main.appendChild(valueWidget(row, index));
      li.appendChild(main);
      if (row.evidence) {
        var side = el("div", { "class": "row-evidence" });
        side.appendChild(el("blockquote", {}, row.evidence.evidence));
        var meta = (row.evidence.source || "") + (row.evidence.confidence !== null && row.evidence.confidence !== undefined ? " · 置信度 " + Math.round(row.evidence.confidence * 100) + "%" : "");
        side.appendChild(el("p", { "class": "meta" }, meta));
        li.appendChild(side);
      }
      var actions = el("div", { "class": "row-actions" });
      var accept = el("button", { type: "button", "class": "secondary", "aria-pressed": row.accepted ? "true" : "false" }, row.accepted ? "已采纳" : "采纳");
      accept.setAttribute("aria-label", (row.accepted ? "已采纳" : "采纳") + "条件 " + (index + 1));
      accept.addEventListener("click", function () { row.accepted = true; render(); sync(); });
      var remove = el("button", { type: "button", "class": "secondary row-delete", "aria-label": "删除条件 " + (index + 1) }, "删除");
      remove.addEventListener("click", function () { rows.splice(index, 1); render(); sync(); });
      actions.appendChild(accept);
      actions.appendChild(remove);
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  if (!load(data.rule, !data.saved)) {
    root.hidden = true;
    root.insertAdjacentHTML("afterend", "<p class=\"hint\">此规则含嵌套的条件组合，请在下方高级视图中以 JSON/YAML 编辑。</p>");
    return;
  }
  root.hidden = false;
  if (advanced) advanced.open = false;
  root.querySelectorAll("input[name=editor-combinator]").forEach(function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) { combinator = radio.value; sync(); } });
  });
  document.getElementById("add-row").addEventListener("click", function () {
    rows.push({ field: "size", negated: false, values: [], accepted: true, evidence: null });
    render(); sync();
    var selects = list.querySelectorAll("select.row-field");
    selects[selects.length - 1].focus();
  });
  textarea.addEventListener("input", function () {
    advancedEdited = true;
    root.querySelector(".rule-pending").textContent = "已在高级视图中修改规则：保存时以高级视图的内容为准";
  });
  render();
  sync();
})();

// Staff upload: one request per file so each file gets its own progress bar and result line.
// Without JavaScript the form posts all files to /api/documents at once (JSON result).
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData) return;
  var input = document.getElementById("files");
  var results = document.getElementById("upload-results");
  var STATUS = { ingested: "已入库", replaced: "已更新", updated: "元数据已更新", unchanged: "未变化（已在库中）", duplicate: "重复文件", rejected: "未能入库" };

  function uploadOne(file) {
    return new Promise(function (resolve) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "file-name";
      name.textContent = file.name;
      var progress = document.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", file.name + " 上传进度");
      var result = document.createElement("span");
      result.className = "file-result";
      result.textContent = "等待上传…";
      item.appendChild(name);
      item.appendChild(progress);
      item.appendChild(result);
      results.appendChild(item);

      var data = new FormData();
      data.append("files", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/documents");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          progress.value = Math.round((event.loaded / event.total) * 100);
          result.textContent = progress.value < 100 ? "上传中 " + progress.value + "%" : "正在解析与入库…";
        }
      });
      xhr.addEventListener("load", function () {
        progress.value = 100;
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        var outcome = body.results && body.results[0];
        if (outcome) {
          item.className = outcome.ok ? "ok" : "failed";
          result.textContent = (STATUS[outcome.status] || outcome.status) +
            (outcome.title ? "：《" + outcome.title + "》，" + outcome.chunks + " 段" : "") +
            (outcome.reason ? "（" + outcome.reason + "）" : "");
          if (outcome.ok && outcome.doc_id) {
            var link = document.createElement("a");
            link.href = "/staff/documents/" + encodeURIComponent(outcome.doc_id);
            link.textContent = "审核";
            item.appendChild(link);
          }
        } else {
          item.className = "failed";
          result.textContent = "未能入库：" + (body.detail || "服务器错误（" + xhr.status + "）");
        }
        resolve();
      });
      xhr.addEventListener("error", function () {
        item.className = "failed";
        result.textContent = "网络错误，未能上传";
        resolve();
      });
      xhr.send(data);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    results.textContent = "";
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    files.reduce(function (previous, file) {
      return previous.then(function () { return uploadOne(file); });
    }, Promise.resolve()).then(function () {
      button.disabled = false;
      input.value = "";
      var done = document.createElement("li");
      done.className = "done";
      done.innerHTML = "全部处理完成。<a href=\"/staff\">刷新文档列表</a>";
      results.appendChild(done);
    });
  });
})();

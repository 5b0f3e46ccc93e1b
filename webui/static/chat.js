// 政策问答: streams the answer from /api/ask/stream into the conversation, keeps the conversation id for
// follow-up questions, and sends 👍/👎 feedback. Without JavaScript the form still works (GET /ask).
(function () {
  "use strict";
  var form = document.getElementById("ask-form");
  if (!form || !window.fetch || !window.TextDecoder) return;
  var input = document.getElementById("question");
  var button = document.getElementById("ask-button");
  var conversationInput = document.getElementById("conversation-id");
  var newConversation = document.getElementById("new-conversation");
  var conversation = document.getElementById("conversation");
  var live = document.getElementById("live");
  var busy = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function statusBadge(status) {
    return el("span", "status status-" + status, status);
  }

  function citationLink(c) {
    var a = el("a", null, "《" + (c.title || c.path) + "》" + (c.section || ""));
    a.href = "/documents/" + encodeURIComponent(c.doc_id) + "?hl=" + c.char_start + "-" + c.char_end + "#cited";
    return a;
  }

  function renderDone(turn, answer) {
    var text = turn.querySelector(".answer-text");
    text.textContent = answer.answer;
    text.setAttribute("aria-busy", "false");
    turn.querySelector(".thinking").remove();
    if (answer.refused) {
      turn.classList.add("refused");
      turn.insertBefore(el("p", "refused-title", "库中暂无依据"), text);
    }
    if (answer.citations && answer.citations.length) {
      var section = el("section", "citations");
      section.setAttribute("aria-label", "出处");
      section.appendChild(el("h3", null, "出处"));
      var list = el("ol");
      answer.citations.forEach(function (c) {
        var li = el("li", "citation");
        li.appendChild(citationLink(c));
        if (c.doc_number) li.appendChild(el("span", "doc-number", c.doc_number));
        li.appendChild(statusBadge(c.status));
        li.appendChild(el("blockquote", null, c.quote));
        list.appendChild(li);
      });
      section.appendChild(list);
      turn.appendChild(section);
    }
    if (answer.related && answer.related.length) {
      var related = el("section", "related");
      related.setAttribute("aria-label", "相关政策");
      related.appendChild(el("h3", null, "相关政策"));
      if (answer.refused) related.appendChild(el("p", "related-note", "摘录是各政策中与问题最接近的原文，仅供参考，不构成答复。"));
      var ul = el("ul");
      answer.related.forEach(function (p) {
        var li = el("li");
        var a = el("a", null, "《" + (p.title || p.doc_id) + "》" + (p.excerpt_section || ""));
        a.href = "/documents/" + encodeURIComponent(p.doc_id) + (p.char_start === null || p.char_start === undefined ? "" : "?hl=" + p.char_start + "-" + p.char_end + "#cited");
        li.appendChild(a);
        if (p.doc_number) li.appendChild(el("span", "doc-number", p.doc_number));
        li.appendChild(statusBadge(p.status));
        if (p.excerpt) li.appendChild(el("blockquote", "excerpt", p.excerpt));
        ul.appendChild(li);
      });
      related.appendChild(ul);
      turn.appendChild(related);
    }
    if (answer.refused) {
      var hotline = el("p", "hotline", "如需进一步咨询，请拨打 ");
      hotline.appendChild(el("strong", null, "12345"));
      hotline.appendChild(document.createTextNode(" 政务服务便民热线。"));
      turn.appendChild(hotline);
    }
    turn.appendChild(feedbackBar(answer));
    live.textContent = answer.refused ? "库中暂无依据，已列出相关政策。" : "答复已完成，共 " + answer.citations.length + " 处出处。";
  }

  function feedbackBar(answer) {
    var bar = el("div", "feedback");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "这条答复对您有帮助吗？");
    bar.appendChild(el("span", "feedback-label", "这条答复有帮助吗？"));
    var note = el("span", "feedback-note");
    note.setAttribute("role", "status");
    [["up", "👍", "有帮助"], ["down", "👎", "没帮助"]].forEach(function (pair) {
      var b = el("button", "secondary feedback-" + pair[0]);
      var icon = el("span", "icon", pair[1]);
      icon.setAttribute("aria-hidden", "true");
      b.appendChild(icon);
      b.appendChild(document.createTextNode(" " + pair[2]));
      b.type = "button";
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", function () {
        bar.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", "false"); x.disabled = true; });
        b.setAttribute("aria-pressed", "true");
        fetch("/api/feedback", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            rating: pair[0], question: answer.question, answer: answer.answer, refused: answer.refused,
            conversation_id: answer.conversation_id, cited_doc_ids: (answer.citations || []).map(function (c) { return c.doc_id; })
          })
        }).then(function (r) {
          note.textContent = r.ok ? "感谢您的反馈，工作人员会据此改进。" : "反馈未能提交，请稍后再试。";
          if (!r.ok) bar.querySelectorAll("button").forEach(function (x) { x.disabled = false; });
        });
      });
      bar.appendChild(b);
    });
    bar.appendChild(note);
    return bar;
  }

  function parseEvents(buffer, onEvent) {
    var parts = buffer.split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (block) {
      var event = "message", data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) event = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    });
    return rest;
  }

  function fail(turn, message) {
    var thinking = turn.querySelector(".thinking");
    if (thinking) thinking.remove();
    var text = turn.querySelector(".answer-text");
    text.setAttribute("aria-busy", "false");
    text.textContent = "";
    var error = el("p", "error", message);
    error.setAttribute("role", "alert");
    turn.appendChild(error);
  }

  function ask(question) {
    if (busy || !question) return;
    busy = true;
    button.disabled = true;
    var turn = el("article", "turn answer");
    turn.setAttribute("aria-label", "答复");
    var q = el("p", "turn-question");
    q.appendChild(el("span", "who-label", "问"));
    q.appendChild(document.createTextNode(question));
    turn.appendChild(q);
    turn.appendChild(el("p", "thinking", "正在查找政策原文…"));
    var text = el("div", "answer-text");
    text.setAttribute("aria-live", "polite");
    text.setAttribute("aria-busy", "true");
    turn.appendChild(text);
    conversation.appendChild(turn);
    turn.scrollIntoView({ block: "nearest" });
    live.textContent = "正在查找政策原文";

    var params = new URLSearchParams({ question: question });
    if (conversationInput.value) params.set("conversation_id", conversationInput.value);
    fetch("/api/ask/stream?" + params.toString(), { headers: { Accept: "text/event-stream" } })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) { fail(turn, body.detail || "提问失败，请稍后再试。"); },
                                      function () { fail(turn, "提问失败，请稍后再试。"); });
        }
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        var pump = function () {
          return reader.read().then(function (chunk) {
            if (chunk.done) return;
            buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (event, data) {
              if (event === "answer") text.textContent += data.delta;
              else if (event === "done") {
                conversationInput.value = data.conversation_id;
                newConversation.hidden = false;
                renderDone(turn, data);
              }
            });
            return pump();
          });
        };
        return pump();
      })
      .catch(function () { fail(turn, "网络连接中断，请稍后再试。"); })
      .then(function () {
        busy = false;
        button.disabled = false;
        input.value = "";
        input.focus();
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(input.value.trim());
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value.trim());
    }
  });
  document.querySelectorAll("a.suggestion").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      ask(link.getAttribute("data-question"));
    });
  });
  newConversation.addEventListener("click", function () {
    conversationInput.value = "";
    conversation.textContent = "";
    newConversation.hidden = true;
    live.textContent = "已开始新对话";
    input.focus();
  });
})();

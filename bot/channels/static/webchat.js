// The clinic's chat page: plain JavaScript over socket.io (served by the assistant, no other requests).
// Text is always inserted with textContent, never as HTML. The session token comes from the server,
// signed; it is kept in sessionStorage, so a reload keeps the conversation and closing the tab ends it.
(function () {
  "use strict";

  var SESSION_KEY = "clinic-chat-session";
  var TYPING_TIMEOUT_MS = 30000;
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var statusLine = document.getElementById("chat-status");
  var newChatButton = document.getElementById("chat-new");
  // Bold, then web addresses; a domain preceded by "@" is part of an email address and stays text.
  var INLINE = /\*\*([^*]+)\*\*|(https?:\/\/[^\s<>()]+|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:org|com|net|gov|edu|us)(?:\/[^\s<>()]*)?)/gi;
  var ready = false;
  var typingTimer = null;

  function el(tag, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  function setStatus(text) {
    statusLine.textContent = text;
  }

  function readSession() {
    try { return window.sessionStorage.getItem(SESSION_KEY); } catch (e) { return null; }
  }

  function writeSession(token) {
    try {
      if (token) window.sessionStorage.setItem(SESSION_KEY, token);
      else window.sessionStorage.removeItem(SESSION_KEY);
    } catch (e) { /* storage disabled: the chat still works until the page is reloaded */ }
  }

  function appendLink(parent, address) {
    var link = el("a");
    link.href = /^https?:/i.test(address) ? address : "https://" + address;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = address;
    var note = el("span", "visually-hidden");
    note.textContent = " (opens in a new tab)";
    link.appendChild(note);
    parent.appendChild(link);
  }

  function appendInline(parent, text) {
    var last = 0;
    var match;
    INLINE.lastIndex = 0;
    while ((match = INLINE.exec(text)) !== null) {
      var found = match[0];
      if (match[2]) found = found.replace(/[.,;:!?]+$/, "");
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1] !== undefined) {
        var strong = el("strong");
        strong.textContent = match[1];
        parent.appendChild(strong);
      } else {
        appendLink(parent, found);
      }
      last = match.index + found.length;
      INLINE.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // Paragraphs on blank lines, "- " lines as a list, other line breaks kept.
  function appendBlocks(parent, text) {
    text.split(/\n{2,}/).forEach(function (paragraph) {
      var list = null;
      var para = null;
      paragraph.split("\n").forEach(function (line) {
        var bullet = /^\s*[-*]\s+(.*)$/.exec(line);
        if (bullet) {
          if (!list) { list = el("ul"); parent.appendChild(list); para = null; }
          var item = el("li");
          appendInline(item, bullet[1]);
          list.appendChild(item);
        } else {
          list = null;
          if (para) para.appendChild(el("br"));
          else { para = el("p"); parent.appendChild(para); }
          appendInline(para, line);
        }
      });
    });
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function clearChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".msg-choices"), function (node) { node.remove(); });
  }

  function addChoices(choices) {
    var item = el("li", "msg-choices");
    var group = el("div", "choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    choices.forEach(function (choice) {
      var button = el("button", "choice");
      button.type = "button";
      button.textContent = choice.title;
      button.addEventListener("click", function () {
        send(choice.payload, choice.title);
        input.focus();
      });
      group.appendChild(button);
    });
    item.appendChild(group);
    log.appendChild(item);
  }

  function addMessage(sender, text, choices) {
    var item = el("li", "msg msg-" + (sender === "user" ? "user" : "bot"));
    var who = el("span", "visually-hidden");
    who.textContent = sender === "user" ? "You: " : "Assistant: ";
    item.appendChild(who);
    appendBlocks(item, text || "");
    log.appendChild(item);
    if (choices && choices.length) addChoices(choices);
    scrollToEnd();
  }

  function showTyping(on) {
    window.clearTimeout(typingTimer);
    setStatus(on ? "The assistant is typing\u2026" : "");
    if (on) typingTimer = window.setTimeout(function () { showTyping(false); }, TYPING_TIMEOUT_MS);
  }

  function setReady(value) {
    ready = value;
    sendButton.disabled = !value;
  }

  // Busy until the server has confirmed the session and sent the conversation so far.
  function setLoading(value) {
    log.setAttribute("aria-busy", String(value));
  }

  // The server answers a long message itself (it reads up to its limit and checks all of it for a crisis);
  // only a message too big to carry at all is kept here, in the box, with a note, so nothing is lost unseen.
  var MAX_BYTES = parseInt(form.getAttribute("data-max-bytes"), 10) || 65536;
  var FRAME_OVERHEAD = 64;

  function tooBigToSend(message) {
    var frame = JSON.stringify(["user_uttered", { message: message }]);
    return new TextEncoder().encode(frame).length + FRAME_OVERHEAD > MAX_BYTES;
  }

  function send(message, shown) {
    if (!ready || !message.trim()) return false;
    if (tooBigToSend(message)) {
      setStatus("That message is too long to send. Please send it in shorter parts. In a crisis, call or text 988.");
      return false;
    }
    clearChoices();
    addMessage("user", shown || message);
    socket.emit("user_uttered", { message: message });
    showTyping(true);
    return true;
  }

  if (typeof window.io !== "function") {
    setReady(false);
    setStatus("The chat could not load. Please call the clinic. In a crisis, call or text 988.");
    return;
  }

  var socket = window.io({ path: "/socket.io" });
  setReady(false);
  setStatus("Connecting\u2026");

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: readSession() });
  });

  socket.on("session_confirm", function (token) {
    writeSession(typeof token === "string" ? token : null);
    setReady(true);
    setStatus("");
  });

  socket.on("history", function (messages) {
    log.textContent = "";
    (messages || []).forEach(function (message) {
      addMessage(message.sender, message.text, message.quick_replies);
    });
    setLoading(false);
  });

  socket.on("bot_uttered", function (message) {
    addMessage("bot", message.text, message.quick_replies);
  });

  socket.on("bot_turn_done", function () {
    showTyping(false);
  });

  socket.on("disconnect", function () {
    setReady(false);
    setLoading(true);
    showTyping(false);
    setStatus("Connection lost; reconnecting\u2026 In a crisis, call or text 988.");
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (send(input.value)) input.value = "";
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  newChatButton.addEventListener("click", function () {
    writeSession(null);
    log.textContent = "";
    showTyping(false);
    setReady(false);
    setLoading(true);
    socket.emit("session_request", {});
    input.focus();
  });
})();

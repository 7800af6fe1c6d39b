// One line on a clinic's site adds the chat:
//   <script src="https://ASSISTANT-ADDRESS/webhooks/webchat/embed.js" async></script>
// It adds a "Chat with us" button that opens the assistant's chat page in a frame. Nothing else is
// loaded and nothing is read from the host page.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.getElementById("clinic-chat-frame")) return;
  var chatUrl = new URL("./", script.src).href;

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "Chat with us";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "clinic-chat-frame");
  Object.assign(button.style, {
    position: "fixed", right: "1rem", bottom: "1rem", zIndex: "2147483647",
    padding: "0.75rem 1.1rem", minHeight: "2.75rem", border: "2px solid #ffffff", borderRadius: "1.5rem",
    background: "#12355b", color: "#ffffff", font: "600 1rem system-ui, sans-serif", cursor: "pointer",
    boxShadow: "0 2px 8px rgba(0, 0, 0, 0.3)"
  });

  var frame = document.createElement("iframe");
  frame.id = "clinic-chat-frame";
  frame.title = "Chat with the clinic's assistant";
  frame.hidden = true;
  Object.assign(frame.style, {
    position: "fixed", right: "1rem", bottom: "4.5rem", zIndex: "2147483647",
    width: "min(24rem, calc(100vw - 2rem))", height: "min(40rem, calc(100vh - 6rem))",
    border: "1px solid #5b6470", borderRadius: "0.75rem", background: "#ffffff",
    boxShadow: "0 4px 16px rgba(0, 0, 0, 0.3)"
  });

  function toggle(open) {
    if (open && !frame.src) frame.src = chatUrl;
    frame.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Close chat" : "Chat with us";
    if (open) frame.focus();
  }

  button.addEventListener("click", function () { toggle(frame.hidden); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !frame.hidden) { toggle(false); button.focus(); }
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();

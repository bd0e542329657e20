// customer-hub review app: keyboard shortcuts, the blind-score switch, reveals.
// Hand-written, no library; every request carries the page's CSRF token.
(function () {
  "use strict";
  var csrf = document.body.getAttribute("data-csrf") || "";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function answer(value) {
    var button = document.querySelector('#decide button[value="' + value + '"]');
    if (button && !button.disabled) {
      button.click();
    }
  }

  var pair = document.getElementById("pair");
  var help = document.getElementById("help");
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "?" && help) {
      help.hidden = !help.hidden;
      event.preventDefault();
      return;
    }
    if (!pair) return;
    switch (event.key) {
      case "m": answer("merge"); break;
      case "a": answer("apart"); break;
      case "s": answer("skip"); break;
      case "j":
        if (pair.getAttribute("data-has-next") === "1") window.location.assign(pair.getAttribute("data-next"));
        break;
      case "k":
        if (pair.getAttribute("data-has-prev") === "1") window.location.assign(pair.getAttribute("data-prev"));
        break;
      case "r":
        var reason = document.getElementById("reason");
        if (reason) reason.focus();
        break;
      default: return;
    }
    event.preventDefault();
  });

  // a decision is sent once: a second key press while the next page loads does nothing
  var decide = document.getElementById("decide");
  if (decide) {
    decide.addEventListener("submit", function () {
      window.setTimeout(function () {
        Array.prototype.forEach.call(decide.querySelectorAll("button"), function (b) { b.disabled = true; });
      }, 0);
    });
  }

  var blind = document.getElementById("blind");
  if (blind) {
    blind.addEventListener("change", function () { blind.form.submit(); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.reveal"), function (button) {
    button.addEventListener("click", function () {
      var body = new URLSearchParams();
      body.set("field", button.getAttribute("data-field"));
      if (button.hasAttribute("data-row")) body.set("row_id", button.getAttribute("data-row"));
      if (button.hasAttribute("data-golden")) body.set("golden_id", button.getAttribute("data-golden"));
      fetch(document.body.getAttribute("data-prefix") + "/reveal", {
        method: "POST",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
        body: body,
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) return;
        var value = button.parentNode.querySelector(".value");
        if (value) value.textContent = result.data.value;
        button.remove();
      });
    });
  });
})();

// Reaction buttons without a page reload: the form is sent as it is (with its CSRF token) and
// the JSON answer sets every button's count and pressed state. Without this script, or when
// the request fails, the form submits normally and the page reloads at the post.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form.action-react");
    if (!form || !window.fetch) return;
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (data) {
      var group = form.closest(".reactions");
      data.reactions.forEach(function (reaction) {
        var button = group.querySelector('button[data-kind="' + reaction.kind + '"]');
        if (!button) return;
        button.setAttribute("aria-pressed", reaction.reacted ? "true" : "false");
        button.classList.toggle("reacted", reaction.reacted);
        button.querySelector(".reaction-count").textContent = reaction.count;
        button.form.querySelector('input[name="on"]').value = reaction.reacted ? "0" : "1";
      });
    }).catch(function () {
      form.submit();
    });
  });
})();

// Quote on a post: with text selected inside that post, quote just the selection into the reply
// form on this page; with nothing selected, quote the whole post (the markup the reply page
// would pre-fill). Without this script the Quote link opens the reply page, which works too.
(function () {
  "use strict";
  var composer = document.querySelector("form.composer textarea");
  if (!composer) return;

  function insert(markup) {
    var before = composer.value.replace(/\s+$/, "");
    composer.value = (before ? before + "\n\n" : "") + markup + "\n\n";
    composer.focus();
    composer.setSelectionRange(composer.value.length, composer.value.length);
    composer.scrollIntoView({block: "center"});
  }

  function selectionIn(body) {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return "";
    var range = selection.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) return "";
    return selection.toString().trim();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.action-quote");
    if (!link) return;
    var post = link.closest("article.post");
    var body = post && post.querySelector(".body");
    var author = post && post.getAttribute("data-author");
    if (!body || !author) return;
    event.preventDefault();
    var selected = selectionIn(body);
    if (selected) {
      insert('[quote="' + author + '" post=' + post.getAttribute("data-post") + "]" +
             selected.replace(/\[\/?quote[^\]]*\]/gi, "") + "[/quote]");
      return;
    }
    fetch(link.href, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var field = page.querySelector("form.composer textarea");
        if (field) insert(field.value.trim());
      })
      .catch(function () { window.location.href = link.href; });
  });

  // Keep the selection from being lost when the Quote link is tapped on a touch screen.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest("a.action-quote")) event.preventDefault();
  });
})();

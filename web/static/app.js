// Progressive enhancement only: every feature works without this file.
(function () {
  "use strict";
  // The "/" key focuses the search box (unless the user is typing somewhere).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) {
      return;
    }
    var box = document.querySelector("[data-shortcut='/']");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
  // Sort and order menus apply when a choice is picked from the open list with
  // the pointer. From the keyboard, arrow keys only move the choice (each would
  // otherwise load a page); Enter or the Apply button applies it.
  document.documentElement.classList.add("js");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var byKeyboard = false;
    select.addEventListener("keydown", function (event) {
      byKeyboard = true;
      if (event.key === "Enter" && select.form) {
        event.preventDefault();
        select.form.submit();
      }
    });
    select.addEventListener("pointerdown", function () {
      byKeyboard = false;
    });
    select.addEventListener("change", function () {
      if (!byKeyboard && select.form) {
        select.form.submit();
      }
    });
  });
})();

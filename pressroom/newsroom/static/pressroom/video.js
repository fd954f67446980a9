// Click-to-load video embeds (templates/pressroom/_video_link.html): the page asks nothing of YouTube or
// Vimeo until the reader presses the button, which puts the provider's player in place of the
// placeholder. Without this script the placeholder keeps its plain link to the video.
(function () {
  "use strict";
  document.querySelectorAll(".video-embed[data-embed-src]").forEach(function (embed) {
    var button = embed.querySelector(".video-embed__play");
    var note = embed.querySelector(".video-embed__note");
    if (!button) return;
    button.hidden = false;
    if (note) note.hidden = false;
    button.addEventListener("click", function () {
      var frame = document.createElement("iframe");
      frame.className = "video-embed__player";
      frame.title = embed.dataset.embedTitle;
      frame.allow = "fullscreen; picture-in-picture";
      frame.allowFullscreen = true;
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      frame.src = embed.dataset.embedSrc;
      embed.querySelector(".video-embed__box").replaceChildren(frame);
      frame.focus();
    });
  });
})();

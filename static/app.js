// Mediadesk enhancements. Every page works without this file; it adds upload progress,
// drag-and-drop, copy buttons and one-clip-at-a-time playback.
(function () {
  "use strict";

  // One clip at a time: starting a clip pauses every other one.
  document.addEventListener("play", function (e) {
    document.querySelectorAll("audio").forEach(function (a) {
      if (a !== e.target) a.pause();
    });
  }, true);

  // Space toggles the clip of the focused gallery card.
  document.addEventListener("keydown", function (e) {
    if (e.key !== " " || /^(INPUT|TEXTAREA|SELECT|BUTTON|AUDIO)$/.test(e.target.tagName)) return;
    var card = e.target.closest && e.target.closest(".card-audio");
    var audio = card && card.querySelector("audio");
    if (!audio) return;
    e.preventDefault();
    if (audio.paused) audio.play(); else audio.pause();
  });

  // Gallery cards: the mini waveform is tinted as its clip plays, and a click on it seeks
  // there (the clip loads on that first click: cards preload nothing).
  document.querySelectorAll(".card-audio").forEach(function (card) {
    var audio = card.querySelector("audio.mini");
    var mini = card.querySelector(".mini-wave");
    if (!audio || !mini) return;
    var played = mini.querySelector(".played-rect");
    var span = mini.viewBox.baseVal.width;
    var seconds = function () {
      var exact = Number(audio.dataset.durationMs) / 1000;
      return exact > 0 ? exact : audio.duration;
    };
    var paint = function () {
      played.setAttribute("width", String(span * Math.min(1, audio.currentTime / seconds())));
    };
    audio.addEventListener("timeupdate", paint);
    audio.addEventListener("seeked", paint);
    mini.classList.add("seekable");
    mini.addEventListener("click", function (e) {
      var box = mini.getBoundingClientRect();
      var at = Math.max(0, Math.min(1, (e.clientX - box.left) / box.width)) * seconds();
      if (audio.readyState >= 1) {
        audio.currentTime = at;
      } else {
        audio.addEventListener("loadedmetadata", function () { audio.currentTime = at; }, { once: true });
      }
      if (audio.paused) audio.play();
    });
  });

  // The detail waveform: the played part is tinted, a click seeks.
  var wave = document.getElementById("wave");
  var player = document.getElementById("player");
  if (wave && player) {
    var rect = document.getElementById("played-rect");
    // The server counted the frames; a browser only estimates VBR MP3 lengths (often badly).
    var duration = function () {
      var exact = Number(player.dataset.durationMs) / 1000;
      return exact > 0 ? exact : player.duration;
    };
    var width = wave.viewBox.baseVal.width;
    var paint = function () { rect.setAttribute("width", String(width * player.currentTime / duration())); };
    player.addEventListener("timeupdate", paint);
    player.addEventListener("seeked", paint);
    wave.addEventListener("click", function (e) {
      var box = wave.getBoundingClientRect();
      player.currentTime = Math.max(0, Math.min(1, (e.clientX - box.left) / box.width)) * duration();
      paint();
    });
  }

  document.querySelectorAll("button.copy").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var input = document.getElementById(b.dataset.copy);
      input.select();
      if (navigator.clipboard) navigator.clipboard.writeText(input.value);
      b.textContent = "Copied";
    });
  });

  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = document.getElementById("files");
  var zone = document.getElementById("dropzone");
  var results = document.getElementById("results");
  zone.querySelector(".drop-hint").hidden = false;

  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    input.files = e.dataTransfer.files;
  });

  // Each file goes up on its own request so one refusal never sinks the others.
  function send(file) {
    var li = document.createElement("li");
    li.className = "result";
    var name = document.createElement("strong");
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + file.name);
    var status = document.createElement("span");
    li.append(name, " ", status, bar);
    results.appendChild(li);

    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    if (form.elements.owner) data.append("owner", form.elements.owner.value);
    // Announcing the size lets the server refuse an oversized file at once and store the
    // rest as it arrives.
    data.append("size", String(file.size));
    data.append("file", file, file.name);
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round(e.loaded * 100 / e.total);
      };
      xhr.onload = function () {
        bar.remove();
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = null; }
        // A refusal answers its status with {code, message}; an accepted file, {results}.
        var r = answer && answer.results ? answer.results[0] : null;
        var refusal = answer && answer.code ? answer : null;
        if (refusal) li.dataset.code = refusal.code;
        if (refusal && refusal.code === "signed_out") {
          // The file did not arrive; signing in (in another tab) keeps this page and its files.
          li.classList.add("result-refused");
          status.textContent = "";
          var signin = document.createElement("a");
          signin.href = "/signin?next=" + encodeURIComponent(location.pathname);
          signin.target = "_blank";
          signin.rel = "noopener";
          signin.textContent = "sign in again";
          status.append("You were signed out — ", signin, ", then upload this file again");
        } else if (refusal && refusal.code === "page_expired") {
          li.classList.add("result-refused");
          status.textContent = "This page expired — reload it and upload again";
        } else if (refusal) {
          li.classList.add("result-refused");
          status.textContent = "refused — " + refusal.message;
        } else if (r && r.ok) {
          li.classList.add("result-ok");
          status.innerHTML = "";
          status.append("accepted — ");
          var a = document.createElement("a");
          a.href = r.url; a.textContent = "open";
          status.appendChild(a);
        } else {
          li.classList.add("result-refused");
          status.textContent = "refused — " + (r ? r.message : "the server answered " + xhr.status);
        }
        resolve();
      };
      xhr.onerror = function () {
        bar.remove();
        li.classList.add("result-refused");
        status.textContent = "refused — the connection failed";
        resolve();
      };
      xhr.send(data);
    });
  }

  form.addEventListener("submit", function (e) {
    if (!input.files.length) return;
    e.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    files.reduce(function (p, f) { return p.then(function () { return send(f); }); }, Promise.resolve())
      .then(function () { form.reset(); });
  });
})();

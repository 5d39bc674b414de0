// Audio players, enhanced. Without this file every page has the browser's own controls.
// With it, each clip gets a control set whose time and seek bar use the exact duration the
// server measured (browsers only estimate VBR MP3 lengths), worked by keyboard (Space plays
// and pauses, ← and → move 5 s, Home and End go to the ends), and a "Match loudness" switch,
// remembered in this browser, plays every clip at −16 LUFS through a Web Audio gain the server
// computed from the clip's measured loudness (never lifting its true peak past 0 dBTP).
(function () {
  "use strict";
  var players = Array.prototype.slice.call(document.querySelectorAll("audio[data-duration-ms]"));
  if (!players.length) return;

  var KEY = "mediadesk.match-loudness";
  var matched = function () {
    try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  };
  var Context = window.AudioContext || window.webkitAudioContext;
  var context = null;

  var clock = function (s) {
    s = Math.max(0, Math.floor(s || 0));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (r < 10 ? "0" : "") + r;
  };
  var exact = function (audio) {
    var d = Number(audio.dataset.durationMs) / 1000;
    return d > 0 ? d : (isFinite(audio.duration) ? audio.duration : 0);
  };
  // Web Audio may only read media of this origin (or one that allows it by CORS); signed
  // URLs of another origin keep the element's own volume, which can lower but not raise.
  var routable = function (audio) {
    if (audio.dataset.elsewhere) return false;
    try {
      return new URL(audio.currentSrc || audio.src, location.href).origin === location.origin;
    } catch (e) { return false; }
  };

  function applyGain(audio) {
    var db = audio.dataset.gainDb;
    var on = matched() && db !== undefined && db !== "";
    var linear = on ? Math.pow(10, Number(db) / 20) : 1;
    if (Context && routable(audio) && (on || audio.mediadeskGain)) {
      if (!audio.mediadeskGain) {
        context = context || new Context();
        var source = context.createMediaElementSource(audio);
        var gain = context.createGain();
        source.connect(gain);
        gain.connect(context.destination);
        audio.mediadeskGain = gain;
      }
      audio.mediadeskGain.gain.value = linear;
      audio.volume = 1;
    } else if (!audio.mediadeskGain) {
      audio.volume = Math.min(1, linear);
    }
    audio.dataset.appliedGain = String(linear);
  }

  function seekTo(audio, seconds) {
    var to = Math.max(0, Math.min(exact(audio), seconds));
    if (audio.readyState >= 1) audio.currentTime = to;
    else audio.addEventListener("loadedmetadata", function () { audio.currentTime = to; }, { once: true });
  }

  function toggle(audio) {
    if (context && context.state === "suspended") context.resume();
    if (audio.paused) audio.play(); else audio.pause();
  }

  function enhance(audio) {
    var name = audio.getAttribute("aria-label") || "this clip";
    var bar = document.createElement("div");
    bar.className = "player";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Player: " + name.replace(/^Play /, ""));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "play";
    var seek = document.createElement("input");
    seek.type = "range";
    seek.className = "seek";
    seek.min = "0";
    seek.step = "0.1";
    seek.setAttribute("aria-label", "Position");
    var time = document.createElement("span");
    time.className = "time";
    bar.append(button, seek, time);
    var show = function () {
      var total = exact(audio), now = Math.min(audio.currentTime, total);
      button.textContent = audio.paused ? "▶" : "❚❚";
      button.setAttribute("aria-label", audio.paused ? "Play" : "Pause");
      seek.max = String(total);
      seek.value = String(now);
      seek.setAttribute("aria-valuetext", clock(now) + " of " + clock(total));
      time.textContent = clock(now) + " / " + clock(total);
    };
    ["play", "pause", "timeupdate", "seeked", "loadedmetadata", "ended"].forEach(function (t) {
      audio.addEventListener(t, show);
    });
    button.addEventListener("click", function () { toggle(audio); });
    seek.addEventListener("input", function () { seekTo(audio, Number(seek.value)); });
    bar.addEventListener("keydown", function (e) {
      var step = { ArrowLeft: -5, ArrowRight: 5 }[e.key];
      if (e.key === " " && e.target !== button) { e.preventDefault(); toggle(audio); }
      else if (step) { e.preventDefault(); seekTo(audio, audio.currentTime + step); }
      else if (e.key === "Home") { e.preventDefault(); seekTo(audio, 0); }
      else if (e.key === "End") { e.preventDefault(); seekTo(audio, exact(audio)); }
      else return;
      show();
    });
    audio.controls = false;
    audio.after(bar);
    audio.mediadeskBar = bar;
    show();
  }

  // A clip joins the Web Audio graph only when it first plays with the switch on (a graph
  // made before any gesture would start suspended, and fifty gallery rows need not join).
  players.forEach(function (audio) {
    enhance(audio);
    audio.addEventListener("play", function () {
      applyGain(audio);
      if (context && context.state === "suspended") context.resume();
    });
  });

  // One switch per page, before the first player (the gallery: above its grid).
  var switchBox = document.createElement("p");
  switchBox.className = "match-loudness";
  var check = document.createElement("input");
  check.type = "checkbox";
  check.id = "match-loudness";
  check.checked = matched();
  var label = document.createElement("label");
  label.htmlFor = "match-loudness";
  label.textContent = " Match loudness (play every clip at −16 LUFS)";
  switchBox.append(check, label);
  var grid = document.querySelector("ul.grid");
  var anchor = grid || players[0];
  anchor.parentNode.insertBefore(switchBox, anchor);
  check.addEventListener("change", function () {
    try { localStorage.setItem(KEY, check.checked ? "1" : "0"); } catch (e) { /* private mode */ }
    players.forEach(function (audio) {
      if (!audio.paused || audio.mediadeskGain || audio.played.length) applyGain(audio);
    });
  });
})();
